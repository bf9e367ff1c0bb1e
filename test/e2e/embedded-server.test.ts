import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { VaultClient, VaultClientError } from '../../src/client/vault-client';
import { LOCAL_ADMIN } from '../../src/config';
import { type RunningVault, startServer } from '../../src/server';
import { requireCurl } from '../support/curl';
import { MemoryLogger } from '../support/memory-logger';

const run = promisify(execFile);

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('embedded mode (npm start) end to end', () => {
  let dir: string;
  let vault: RunningVault | undefined;
  const env = () => ({ VAULT_DATA_DIR: dir, PORT: '0', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kms-vault-'));
  });
  afterEach(async () => {
    await vault?.close();
    vault = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates its key and credential with mode 0600, and the printed curl session works as printed', async () => {
    requireCurl();
    vault = await startServer(env(), new MemoryLogger());
    expect(vault.createdCredential).toBe(true);
    expect(vault.credential.principal).toBe(LOCAL_ADMIN);
    expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'credentials.json')).mode & 0o777).toBe(0o600);
    const printed = vault.banner;
    const commands = printed
      .split('\n')
      .filter((l) => l.trim().startsWith('curl') || l.trim().startsWith('-d'))
      .map((l) => l.trim());
    // The write is printed over two lines joined by a backslash; the read is one line.
    const write = `${commands[0]!.replace(/\\$/, '')} ${commands[1]!}`;
    const read = commands[2]!;
    const wrote = JSON.parse((await run('bash', ['-c', write])).stdout);
    expect(wrote).toEqual(expect.objectContaining({ path: 'exchange-keys/user-1842/binance-main', version: 1 }));
    const got = JSON.parse((await run('bash', ['-c', read])).stdout);
    expect(got.value).toEqual({ apiKey: 'demo-key', secretKey: 'demo-secret' });
  });

  it('refuses unsigned and wrongly signed requests with 401, and serves the typed client', async () => {
    vault = await startServer(env(), new MemoryLogger());
    expect(vault.createdCredential).toBe(false);
    const unsigned = await fetch(`${vault.url}/v1/secrets/exchange-keys/user-1842/binance-main`);
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    const forged = await fetch(`${vault.url}/v1/secrets/exchange-keys/user-1842/binance-main`, {
      headers: { 'x-amzn-user-arn': LOCAL_ADMIN, 'x-forwarded-user': LOCAL_ADMIN },
    });
    expect(forged.status).toBe(401);
    const wrong = new VaultClient({
      endpoint: vault.url,
      region: 'us-east-1',
      credentials: { accessKeyId: vault.credential.accessKeyId, secretAccessKey: 'not-the-secret' },
    });
    await expect(wrong.getSecret('exchange-keys/user-1842/binance-main')).rejects.toMatchObject({ status: 401 });
    const client = new VaultClient({ endpoint: vault.url, region: 'us-east-1', credentials: vault.credential });
    // Persisted across the restart: the value written by the previous server is still there.
    await expect(client.getSecret('exchange-keys/user-1842/binance-main')).resolves.toMatchObject({
      value: { apiKey: 'demo-key', secretKey: 'demo-secret' },
    });
    await client.putSecret(
      'exchange-keys/user-9/okx',
      { apiKey: 'a', secretKey: 'b', passphrase: 'c' },
      { labels: { exchange: 'okx' }, cas: 0 },
    );
    await expect(client.putSecret('exchange-keys/user-9/okx', 'x', { cas: 0 })).rejects.toBeInstanceOf(
      VaultClientError,
    );
    const listed = await client.listSecrets({ prefix: 'exchange-keys/' });
    expect(listed.items.map((i: { path: string }) => i.path)).toEqual([
      'exchange-keys/user-1842/binance-main',
      'exchange-keys/user-9/okx',
    ]);
    await client.deleteSecret('exchange-keys/user-9/okx');
    await expect(client.getSecret('exchange-keys/user-9/okx')).rejects.toMatchObject({
      status: 410,
      code: 'version_deleted',
    });
    await client.undeleteSecret('exchange-keys/user-9/okx', [1]);
    await client.destroySecret('exchange-keys/user-9/okx', [1]);
    await expect(client.rewrap('exchange-keys/user-1842/binance-main')).resolves.toMatchObject({ skipped: [1] });
    await client.deleteMetadata('exchange-keys/user-9/okx');
    await expect(client.describeSecret('exchange-keys/user-9/okx')).rejects.toMatchObject({ status: 404 });
  });

  it('VAULT_SIGV4_HOST: a request signed for the configured host passes, one signed for another host is 401', async () => {
    const port = await freePort();
    vault = await startServer(
      { ...env(), PORT: String(port), VAULT_SIGV4_HOST: `127.0.0.1:${port}` },
      new MemoryLogger(),
    );
    // The client signs the Host of its endpoint: here the configured one.
    const client = new VaultClient({ endpoint: vault.url, region: 'us-east-1', credentials: vault.credential });
    await expect(client.listSecrets({ prefix: 'exchange-keys/' })).resolves.toMatchObject({ items: expect.any(Array) });
    await vault.close();

    vault = await startServer(
      { ...env(), PORT: String(port), VAULT_SIGV4_HOST: 'vault.example.com' },
      new MemoryLogger(),
    );
    await expect(client.listSecrets({ prefix: 'exchange-keys/' })).rejects.toMatchObject({ status: 401 });
  });

  it('refuses to start with a master key file others can read', async () => {
    const { chmodSync } = await import('node:fs');
    chmodSync(join(dir, 'master.key'), 0o644);
    await expect(startServer(env(), new MemoryLogger())).rejects.toThrow(/chmod 600/);
    chmodSync(join(dir, 'master.key'), 0o600);
  });
});
