import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { KmsKeyProvider } from '../../src/adapters/kms/kms-key-provider';
import { testApp } from '../support/app';
import { dynamo, stopDynamo } from '../support/dynamo';
import { KEY_ARN, vaultKms } from '../support/fake-kms';
import { mockKmsClient } from '../support/fake-kms-client';

afterAll(stopDynamo);

/** Client mocks a test made; restored after each test, so a failed assertion cannot leak one. */
const mocks: Array<{ restore(): void }> = [];
afterEach(() => {
  for (const mock of mocks.splice(0)) mock.restore();
});

const fault = (name: string) => Object.assign(new Error(name), { name, $metadata: {} });
const throttling = () => fault('ThrottlingException');
const timeout = () => fault('TimeoutError');

/**
 * The app's own DynamoDB client, mocked so each command passes through to dynalite unless a
 * test injects a fault: throttling and timeouts are what no local server produces.
 */
async function faultyDynamo() {
  const store = await dynamo();
  const client = store.newClient();
  const real = store.newClient();
  const mock = mockClient(client);
  mocks.push(mock);
  const passThrough = () => {
    mock.reset();
    mock.on(GetItemCommand).callsFake((input) => real.send(new GetItemCommand(input)));
    mock.on(PutItemCommand).callsFake((input) => real.send(new PutItemCommand(input)));
    mock.on(DeleteItemCommand).callsFake((input) => real.send(new DeleteItemCommand(input)));
    mock.on(QueryCommand).callsFake((input) => real.send(new QueryCommand(input)));
  };
  passThrough();
  return { client, mock, passThrough };
}

async function setup() {
  const kms = vaultKms();
  const front = mockKmsClient(kms);
  mocks.push(front);
  const dyn = await faultyDynamo();
  const t = await testApp({
    keys: new KmsKeyProvider({ keyId: KEY_ARN, client: front.client }),
    dynamoClient: dyn.client,
  });
  return { t, kms, front, dyn };
}

function expect503(res: {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: string; message: string } };
}) {
  expect(res.status).toBe(503);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(res.body.error.code).toBe('dependency_unavailable');
  expect(res.body.error.message).not.toMatch(/Throttl|Timeout|kms|dynamo/i);
}

describe('dependency faults answer 503 with Retry-After and change no item', () => {
  it.each([
    ['throttled', throttling],
    ['timed out', timeout],
  ])('KMS GenerateDataKey %s on create and on a new version', async (_label, error) => {
    const { t, front } = await setup();
    await t.as().put('/v1/secrets/f/existing', { value: 'v1' });
    const before = await t.scan();
    front.mock.on(GenerateDataKeyCommand).rejects(error());
    expect503(await t.as().put('/v1/secrets/f/new', { value: 'v' }));
    expect503(await t.as().put('/v1/secrets/f/existing', { value: 'v2' }));
    const after = await t.scan();
    // The HEAD is untouched; at most the immutable copy of committed version 1 was added.
    expect(after.filter((i) => i.sk!.S === 'HEAD')).toEqual(before.filter((i) => i.sk!.S === 'HEAD'));
    expect(after.filter((i) => i.pk!.S === 'f/new')).toHaveLength(0);
    expect((await t.as().get('/v1/secrets/f/existing')).body.value).toBe('v1');
  });

  it.each([
    ['throttled', throttling],
    ['timed out', timeout],
  ])('KMS Decrypt %s on read', async (_label, error) => {
    const { t, front } = await setup();
    await t.as().put('/v1/secrets/f/r', { value: 'v1' });
    const before = await t.scan();
    front.mock.on(DecryptCommand).rejects(error());
    expect503(await t.as().get('/v1/secrets/f/r'));
    expect(await t.scan()).toEqual(before);
  });

  it.each([
    ['throttled', throttling],
    ['timed out', timeout],
  ])('DynamoDB PutItem %s on create and on a new version', async (_label, error) => {
    const { t, dyn } = await setup();
    await t.as().put('/v1/secrets/f/existing', { value: 'v1' });
    const before = await t.scan();
    dyn.mock.on(PutItemCommand).rejects(error());
    expect503(await t.as().put('/v1/secrets/f/new', { value: 'v' }));
    expect503(await t.as().put('/v1/secrets/f/existing', { value: 'v2' }));
    expect(await t.scan()).toEqual(before);
    dyn.passThrough();
    expect((await t.as().get('/v1/secrets/f/existing')).body).toEqual(
      expect.objectContaining({ version: 1, value: 'v1' }),
    );
  });

  it('DynamoDB fails only on the HEAD write: no partial record, the next write succeeds', async () => {
    const { t, dyn } = await setup();
    await t.as().put('/v1/secrets/f/existing', { value: 'v1' });
    const real = (await dynamo()).newClient();
    dyn.mock.on(PutItemCommand).callsFake((input: { Item: { sk: { S: string } } }) => {
      if (input.Item.sk.S === 'HEAD') throw throttling();
      return real.send(new PutItemCommand(input as never));
    });
    expect503(await t.as().put('/v1/secrets/f/existing', { value: 'v2' }));
    const described = await t.as().get('/v1/metadata/f/existing');
    expect(described.body.version).toBe(1);
    dyn.passThrough();
    const next = await t.as().put('/v1/secrets/f/existing', { value: 'v2' });
    expect(next.body.version).toBe(2);
    expect((await t.as().get('/v1/secrets/f/existing?version=1')).body.value).toBe('v1');
  });

  it.each([
    ['throttled', throttling],
    ['timed out', timeout],
  ])('DynamoDB GetItem %s on read and on write', async (_label, error) => {
    const { t, dyn, kms } = await setup();
    await t.as().put('/v1/secrets/f/r', { value: 'v1' });
    const before = await t.scan();
    dyn.mock.on(GetItemCommand).rejects(error());
    expect503(await t.as().get('/v1/secrets/f/r'));
    expect503(await t.as().put('/v1/secrets/f/r', { value: 'v2' }));
    expect503(await t.as().get('/v1/metadata/f/r'));
    expect(await t.scan()).toEqual(before);
    expect(kms.count('GenerateDataKey')).toBe(1);
  });

  it('a disabled KMS key is a 503 whose log line says so; the caller is not told', async () => {
    const { t, kms } = await setup();
    await t.as().put('/v1/secrets/f/d', { value: 'v1' });
    kms.disable(KEY_ARN);
    const res = await t.as().get('/v1/secrets/f/d');
    expect503(res);
    const line = t.logger.records.find((r) => r.type === 'request' && r.status === 503);
    expect(line).toEqual(expect.objectContaining({ detail: 'kms key is disabled' }));
  });
});
