import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import request from 'supertest';
import { KmsKeyProvider } from '../../src/adapters/kms/kms-key-provider';
import { testApp } from '../support/app';
import { CountingKeyProvider } from '../support/counting-key-provider';
import { stopDynamo } from '../support/dynamo';
import { KEY_ARN, KmsError, vaultKms } from '../support/fake-kms';
import { type FakeKmsClient, mockKmsClient } from '../support/fake-kms-client';
import { ADMIN } from '../support/fakes';

afterAll(stopDynamo);

let front: FakeKmsClient | undefined;
afterEach(() => {
  jest.restoreAllMocks();
  front?.restore();
  front = undefined;
});

const CANARY = 'CANARY-7f3a9c-do-not-log';
const forms = [
  CANARY,
  Buffer.from(CANARY).toString('base64'),
  Buffer.from(CANARY).toString('hex'),
  Buffer.from(CANARY).toString('base64url'),
];

describe('logs never carry a secret value, a data key or a body', () => {
  it('a canary written, read, and pushed through failures never appears in the captured logs', async () => {
    const printed: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => printed.push(String(chunk)) > 0);
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => printed.push(String(chunk)) > 0);
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const)
      jest.spyOn(console, method).mockImplementation((...args) => void printed.push(args.map(String).join(' ')));
    const kms = vaultKms();
    front = mockKmsClient(kms);
    // Keeps every data key KMS hands the vault, to search the logs for it.
    const keys = new CountingKeyProvider(new KmsKeyProvider({ keyId: KEY_ARN, client: front.client }), {
      keepKeys: true,
    });
    const t = await testApp({ keys });
    const api = t.as();
    expect(
      (await api.put('/v1/secrets/canary/one', { value: { secretKey: CANARY }, labels: { note: 'fine' } })).status,
    ).toBe(201);
    expect((await api.get('/v1/secrets/canary/one')).body.value).toEqual({ secretKey: CANARY });
    // Failures with the canary in the request: validation, unknown field, bad JSON, too large.
    expect((await api.put('/v1/secrets/canary/one', { value: CANARY, cas: CANARY })).status).toBe(400);
    expect((await api.put('/v1/secrets/canary/one', { value: CANARY, [CANARY]: 1 })).status).toBe(400);
    expect(
      (
        await request(t.app)
          .put('/v1/secrets/canary/one')
          .set('x-test-principal', ADMIN)
          .set('content-type', 'application/json')
          .send(`{"value":"${CANARY}`)
      ).status,
    ).toBe(400);
    expect((await api.put('/v1/secrets/canary/one', { value: CANARY.repeat(1000) })).status).toBe(413);
    expect((await api.get(`/v1/secrets/canary/one?version=${CANARY}`)).status).toBe(400);
    // Dependency failures while the canary is in flight.
    kms.failNext('Decrypt', new KmsError('ThrottlingException', `boom ${CANARY}`));
    expect((await api.get('/v1/secrets/canary/one')).status).toBe(503);
    const store = t.store as unknown as { client: { send: (c: unknown) => Promise<unknown> } };
    const send = store.client.send.bind(store.client);
    const sendSpy = jest.spyOn(store.client, 'send').mockImplementation(async (command: unknown) => {
      if (command instanceof PutItemCommand)
        throw Object.assign(new Error(`dynamo echoed ${CANARY}`), { name: 'InternalServerError', $metadata: {} });
      return send(command);
    });
    expect((await api.put('/v1/secrets/canary/one', { value: CANARY })).status).toBe(503);
    sendSpy.mockRestore();
    // An unexpected error whose message quotes the value: a 500 that logs no message.
    const vaultGet = t.vault.get.bind(t.vault);
    const getSpy = jest.spyOn(t.vault, 'get').mockImplementation(async () => {
      throw new TypeError(`unexpected ${CANARY}`);
    });
    const crashed = await api.get('/v1/secrets/canary/one');
    expect(crashed.status).toBe(500);
    expect(JSON.stringify(crashed.body)).not.toContain(CANARY);
    getSpy.mockRestore();
    expect((await vaultGet({ principal: ADMIN, requestId: 'r' }, 'canary/one')).value).toEqual({ secretKey: CANARY });

    const captured = [t.logger.text(), ...printed].join('\n');
    expect(t.logger.records.filter((r) => r.type === 'request').length).toBeGreaterThanOrEqual(9);
    expect(t.logger.records.some((r) => r.type === 'error')).toBe(true);
    for (const form of forms) expect(captured).not.toContain(form);
    expect(keys.handedOut.length).toBeGreaterThan(0);
    for (const { bytes } of keys.handedOut) {
      expect(captured).not.toContain(bytes.toString('hex'));
      expect(captured).not.toContain(bytes.toString('base64'));
    }
  });
});
