import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

// The package as a user gets it: `npm pack` (which builds dist/ first), installed into an empty
// project from the tarball, then used from plain JavaScript, compiled against from TypeScript,
// and run as a command. Dependencies come from npm's cache (`npm ci` filled it).

jest.setTimeout(300_000);

const ROOT = resolve(__dirname, '../..');
const run = promisify(execFile);
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

let work: string;
let project: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kms-vault-pack-'));
  await run('npm', ['pack', '--pack-destination', work, '--loglevel', 'error'], { cwd: ROOT, env });
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  project = join(work, 'consumer');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  await run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--loglevel',
      'error',
      join(work, tarball),
    ],
    { cwd: project, env },
  );
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack, then npm install of the tarball', () => {
  it("require('kms-vault/client') works from plain JavaScript", async () => {
    writeFileSync(
      join(project, 'index.js'),
      `const { VaultClient, VaultClientError, InvalidPathError } = require('kms-vault/client');
const client = new VaultClient({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 'AKLVX', secretAccessKey: 's' }, cache: { ttlSeconds: 5, maxEntries: 10 } });
client.getSecret('../etc').catch((error) => {
  process.stdout.write(JSON.stringify({ client: typeof VaultClient, error: typeof VaultClientError, refused: error instanceof InvalidPathError }));
});
`,
    );
    const { stdout } = await run(process.execPath, ['index.js'], { cwd: project, env });
    expect(JSON.parse(stdout)).toEqual({ client: 'function', error: 'function', refused: true });
  });

  it('its types compile in a TypeScript project, and a wrong type does not', async () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'node16',
          moduleResolution: 'node16',
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          types: [],
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['typed.ts'],
      }),
    );
    writeFileSync(
      join(project, 'typed.ts'),
      `import { VaultClient, type SecretView, type ListView, type ExchangeCredential, type RecheckView } from 'kms-vault/client';
const client = new VaultClient({ endpoint: 'https://vault.example', region: 'eu-west-1', retry: { maxAttempts: 2 } });
export async function read(): Promise<number> {
  const secret: SecretView = await client.getSecret('exchange-keys/u1/okx', { version: 2 });
  const page: ListView = await client.listSecrets({ prefix: 'exchange-keys/' });
  // @ts-expect-error a version is a number
  const wrong: string = secret.version;
  void wrong;
  return secret.version + page.items.length;
}
export async function exchangeKeys(credential: ExchangeCredential): Promise<number> {
  await client.putExchangeKey('exchange-keys/u1/okx', 'okx', credential, { cas: 0 });
  // @ts-expect-error an exchange the vault does not know
  await client.putExchangeKey('exchange-keys/u1/ftx', 'ftx', credential);
  const checked: RecheckView = await client.recheckExchangeKey('exchange-keys/u1/okx');
  const flagged: ListView = await client.listSecrets({ flagged: true });
  return checked.flagged.length + flagged.items.length + (checked.check?.canWithdraw ? 1 : 0);
}
`,
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    await expect(run(process.execPath, [tsc, '-p', project], { cwd: project, env })).resolves.toBeDefined();
    writeFileSync(
      join(project, 'typed.ts'),
      `import { VaultClient } from 'kms-vault/client';
export const n: string = (null as unknown as Awaited<ReturnType<VaultClient['getSecret']>>).version;
`,
    );
    const failed = await run(process.execPath, [tsc, '-p', project], { cwd: project, env }).catch(
      (e: { stdout: string }) => e,
    );
    expect((failed as { stdout: string }).stdout).toMatch(/TS2322: Type 'number' is not assignable to type 'string'/);
  });

  it('installs the kms-vault command, which runs from dist/', async () => {
    const { stdout } = await run(join(project, 'node_modules/.bin/kms-vault'), ['--help'], { cwd: project, env });
    expect(stdout).toMatch(/^usage: kms-vault COMMAND/);
    expect(readdirSync(join(project, 'node_modules/kms-vault')).sort()).toEqual(
      ['README.md', 'bin', 'dist', 'docs', 'package.json'].sort(),
    );
  });
});
