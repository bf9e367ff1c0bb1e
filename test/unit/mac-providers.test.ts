import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenerateMacCommand, KMSClient } from '@aws-sdk/client-kms';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { KmsMacProvider } from '../../src/adapters/kms/kms-mac-provider';
import { LocalMacProvider } from '../../src/adapters/local-keys/local-mac-provider';
import { vaultKms } from '../support/fake-kms';
import { mockKmsClient } from '../support/fake-kms-client';

describe('LocalMacProvider', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kms-vault-mac-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps its key in a 0600 file and gives the same MAC after a restart', async () => {
    const first = await LocalMacProvider.fromDirectory(dir).mac('index', Buffer.from('binance\0key'));
    expect(statSync(join(dir, 'mac.key')).mode & 0o777).toBe(0o600);
    expect(first).toHaveLength(32);
    await expect(LocalMacProvider.fromDirectory(dir).mac('index', Buffer.from('binance\0key'))).resolves.toEqual(first);
  });

  it('separates purposes: the same message under another purpose, or a shifted boundary, gives another MAC', async () => {
    const macs = new LocalMacProvider(randomBytes(32));
    const a = await macs.mac('ab', Buffer.from('c'));
    expect(await macs.mac('a', Buffer.from('bc'))).not.toEqual(a);
    expect(await macs.mac('checkpoint', Buffer.from('c'))).not.toEqual(a);
  });

  it('is HMAC-SHA-256 under its key: without the key a MAC cannot be recomputed', async () => {
    const key = randomBytes(32);
    const mac = await new LocalMacProvider(key).mac('p', Buffer.from('m'));
    const input = Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from('p'), Buffer.from('m')]);
    expect(mac).toEqual(createHmac('sha256', key).update(input).digest());
    expect(await new LocalMacProvider(randomBytes(32)).mac('p', Buffer.from('m'))).not.toEqual(mac);
  });
});

describe('KmsMacProvider', () => {
  const client = new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  let kms: AwsClientStub<KMSClient>;
  beforeEach(() => {
    kms = mockClient(client);
  });
  afterEach(() => kms.restore());

  it('asks GenerateMac (HMAC_SHA_256) under the configured key, with the purpose in the message', async () => {
    kms.on(GenerateMacCommand).resolves({ Mac: new Uint8Array(32).fill(3), KeyId: 'k' });
    const mac = await new KmsMacProvider('alias/vault-mac', client).mac('index', Buffer.from('x'));
    expect(mac).toEqual(Buffer.alloc(32, 3));
    const input = kms.commandCalls(GenerateMacCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ KeyId: 'alias/vault-mac', MacAlgorithm: 'HMAC_SHA_256' });
    expect(Buffer.from(input.Message!)).toEqual(Buffer.concat([Buffer.from([0, 0, 0, 5]), Buffer.from('indexx')]));
  });

  it('maps a KMS outage to a 503 dependency error', async () => {
    kms.on(GenerateMacCommand).rejects(Object.assign(new Error('t'), { name: 'ThrottlingException', $metadata: {} }));
    await expect(new KmsMacProvider('k', client).mac('p', Buffer.from('m'))).rejects.toMatchObject({
      code: 'dependency_unavailable',
    });
  });
});

describe('KmsMacProvider over the fake KMS', () => {
  it('the same message gives the same MAC, another key another one', async () => {
    const kms = vaultKms();
    const front = mockKmsClient(kms);
    try {
      const one = new KmsMacProvider(kms.createKey(), front.client);
      const other = new KmsMacProvider(kms.createKey(), front.client);
      const mac = await one.mac('index', Buffer.from('okx\0key'));
      await expect(one.mac('index', Buffer.from('okx\0key'))).resolves.toEqual(mac);
      await expect(other.mac('index', Buffer.from('okx\0key'))).resolves.not.toEqual(mac);
      expect(kms.count('GenerateMac')).toBe(3);
    } finally {
      front.restore();
    }
  });
});
