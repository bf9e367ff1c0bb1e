import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import request from 'supertest';
import { KmsKeyProvider } from '../../src/adapters/kms/kms-key-provider';
import { testApp } from '../support/app';
import { stopDynamo } from '../support/dynamo';
import { FakeKms, KEY_ARN } from '../support/fake-kms';
import { ADMIN } from '../support/fakes';

afterAll(stopDynamo);

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
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => printed.push(String(chunk)) > 0),
      jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => printed.push(String(chunk)) > 0),
      ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
        jest.spyOn(console, m).mockImplementation((...args) => void printed.push(args.map(String).join(' '))),
      ),
    ];
    const kms = new FakeKms();
    const dataKeys: string[] = [];
    kms.mock.on(GenerateDataKeyCommand).callsFake((input) => {
      const out = (kms as unknown as { resolve(k: string): string }).resolve(input.KeyId);
      const plaintext = Buffer.alloc(32, dataKeys.length + 1);
      dataKeys.push(plaintext.toString('hex'), plaintext.toString('base64'));
      return {
        KeyId: out,
        Plaintext: new Uint8Array(plaintext),
        CiphertextBlob: (kms as unknown as { wrap(a: string, p: Buffer, c: Record<string, string>): Uint8Array }).wrap(
          out,
          plaintext,
          input.EncryptionContext,
        ),
      };
    });
    try {
      const t = await testApp({ keys: new KmsKeyProvider({ keyId: KEY_ARN, client: kms.client }) });
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
      kms.failNext(
        'Decrypt',
        Object.assign(new Error(`boom ${CANARY}`), { name: 'ThrottlingException', $metadata: {} }),
      );
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
      expect(dataKeys.length).toBeGreaterThan(0);
      for (const key of dataKeys) expect(captured).not.toContain(key);
    } finally {
      for (const spy of spies) spy.mockRestore();
      kms.mock.restore();
    }
  });
});
