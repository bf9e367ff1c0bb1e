import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { EXIT } from '../../src/cli/exit-codes';
import { LOCAL_ADMIN } from '../../src/config';
import { type RunningVault, startServer } from '../../src/server';
import { cliRunner } from '../support/cli-runner';
import { MemoryLogger } from '../support/memory-logger';

const ROOT = resolve(__dirname, '../..');
const SECRET = { apiKey: 'ak-cli-1842', secretKey: 'sk-never-in-an-error-9f3a', passphrase: 'pp-cli' };
const READER = 'arn:aws:iam::123456789012:role/reader';

describe('kms-vault CLI against an embedded vault', () => {
  let dir: string;
  let vault: RunningVault | undefined;
  let env: NodeJS.ProcessEnv;

  /** One command line in this process: stdin from `input`, terminal or pipe as asked. */
  const cli = cliRunner(() => env);

  async function eventually(check: () => Promise<void>): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        return await check();
      } catch (error) {
        if (i > 150) throw error;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kms-vault-cli-'));
    vault = await startServer(
      { VAULT_DATA_DIR: join(dir, 'vault'), PORT: '0', VAULT_RELOAD_INTERVAL_MS: '20' },
      new MemoryLogger(),
    );
    env = { VAULT_DATA_DIR: join(dir, 'vault'), VAULT_ENDPOINT: vault.url };
  });
  afterAll(async () => {
    await vault?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('put reads the value from stdin or --file; get prints it as JSON, one field, or a raw string', async () => {
    const put = await cli(['put', 'apps/cli/binance', '--label', 'exchange=binance', '--cas', '0'], {
      input: JSON.stringify(SECRET),
    });
    expect(put).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(JSON.parse(put.stdout)).toMatchObject({
      path: 'apps/cli/binance',
      version: 1,
      labels: { exchange: 'binance' },
    });
    expect(put.stdout).not.toContain(SECRET.secretKey);

    expect(JSON.parse((await cli(['get', 'apps/cli/binance'])).stdout)).toEqual(SECRET);
    // One field: a string as it is, with no newline when piped, one on a terminal.
    expect((await cli(['get', 'apps/cli/binance', '--field', 'secretKey'])).stdout).toBe(SECRET.secretKey);
    expect((await cli(['get', 'apps/cli/binance', '--field', 'secretKey'], { tty: true })).stdout).toBe(
      `${SECRET.secretKey}\n`,
    );

    const file = join(dir, 'token.txt');
    writeFileSync(file, 'tok-123\n');
    expect((await cli(['put', 'apps/cli/token', '--file', file, '--raw'])).code).toBe(EXIT.ok);
    expect((await cli(['get', 'apps/cli/token', '--raw'])).stdout).toBe('tok-123');
    expect((await cli(['put', 'apps/cli/token'], { input: '"tok-456"' })).code).toBe(EXIT.ok);
    expect((await cli(['get', 'apps/cli/token', '--raw'])).stdout).toBe('tok-456');
    expect((await cli(['get', 'apps/cli/token', '--version', '1', '--raw'])).stdout).toBe('tok-123');
    const described = JSON.parse((await cli(['describe', 'apps/cli/token'])).stdout);
    expect(described).toMatchObject({ path: 'apps/cli/token', version: 2 });
    expect(JSON.stringify(described)).not.toContain('tok-');
  });

  it('put refuses a value given as an argument, saying why', async () => {
    for (const argv of [
      ['put', 'apps/cli/x', 's3cr3t-in-argv'],
      ['put', 'apps/cli/x', '--value', 's3cr3t-in-argv'],
      ['put', 'apps/cli/x', '--value=s3cr3t-in-argv'],
    ]) {
      const run = await cli(argv, { input: '"x"' });
      expect(run.code).toBe(EXIT.usage);
      expect(run.stderr).toMatch(/^kms-vault: put takes the value on stdin or from --file.*`ps`.*history\n$/);
      expect(run.stderr).not.toContain('s3cr3t');
    }
    const fromTerminal = await cli(['put', 'apps/cli/x'], { stdinTty: true });
    expect(fromTerminal.code).toBe(EXIT.usage);
    expect(fromTerminal.stderr).toMatch(/pipe it on stdin/);
    const notJson = await cli(['put', 'apps/cli/x'], { input: 's3cr3t-not-json' });
    expect(notJson.code).toBe(EXIT.usage);
    expect(notJson.stderr).not.toContain('s3cr3t');
  });

  it('lifecycle: delete, undelete, destroy and erase act on the secret the session wrote', async () => {
    await cli(['put', 'apps/cli/okx'], { input: '{"v":1}' });
    await cli(['put', 'apps/cli/okx'], { input: '{"v":2}' });
    expect((await cli(['delete', 'apps/cli/okx'])).code).toBe(EXIT.ok);
    const gone = await cli(['get', 'apps/cli/okx']);
    expect(gone.code).toBe(EXIT.gone);
    expect(gone.stderr).toMatch(/^kms-vault: version_deleted: .*\(request [\w-]+\)\n$/);
    expect((await cli(['undelete', 'apps/cli/okx', '--versions', '2'])).code).toBe(EXIT.ok);
    expect(JSON.parse((await cli(['get', 'apps/cli/okx'])).stdout)).toEqual({ v: 2 });
    expect((await cli(['destroy', 'apps/cli/okx', '--versions', '1', '--cas', '2'])).code).toBe(EXIT.ok);
    expect((await cli(['get', 'apps/cli/okx', '--version', '1'])).code).toBe(EXIT.gone);
    expect((await cli(['destroy', 'apps/cli/okx'])).code).toBe(EXIT.usage);
    const erased = await cli(['erase', 'apps/cli/okx']);
    expect(erased).toMatchObject({ code: EXIT.ok, stdout: '' });
    expect((await cli(['describe', 'apps/cli/okx'])).code).toBe(EXIT.notFound);
  });

  it('list: JSON lines when piped, a table on a terminal, --all follows cursors across pages', async () => {
    for (let i = 0; i < 5; i++) await cli(['put', `pages/p${i}`, '--label', `n=${i}`], { input: `"v${i}"` });
    const page = await cli(['list', '--prefix', 'pages/', '--limit', '2']);
    expect(
      page.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).path),
    ).toEqual(['pages/p0', 'pages/p1']);
    expect(page.stderr).toMatch(/^more: kms-vault list --cursor \S+ \(or --all\)\n$/);
    const all = await cli(['list', '--prefix', 'pages/', '--limit', '2', '--all']);
    expect(
      all.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).path),
    ).toEqual(['pages/p0', 'pages/p1', 'pages/p2', 'pages/p3', 'pages/p4']);
    expect(all.stderr).toBe('');
    const onTerminal = await cli(['list', '--prefix', 'pages/', '--all'], { tty: true });
    const lines = onTerminal.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^PATH\s+VERSION\s+STATE\s+UPDATED\s+ROTATION DUE\s+LABELS$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([
      'pages/p0',
      'pages/p1',
      'pages/p2',
      'pages/p3',
      'pages/p4',
    ]);
    expect(lines[1]).toMatch(/\bn=0$/);
    const json = await cli(['list', '--prefix', 'pages/', '--all', '--json'], { tty: true });
    expect(JSON.parse(json.stdout.split('\n')[0]!)).toMatchObject({ path: 'pages/p0' });
  });

  it('credentials add/list/remove change what the running server accepts; policy check names the rule', async () => {
    const added = await cli(['credentials', 'add', '--principal', READER]);
    expect(added.code).toBe(EXIT.ok);
    const values = added.stdout.trim().split(' ');
    expect(values).toHaveLength(2);
    const [id, secret] = values as [string, string];
    expect(id).toMatch(/^AKLV/);
    expect(added.stderr).not.toContain(secret);
    const listed = await cli(['credentials', 'list']);
    expect(listed.stdout).toContain(READER);
    expect(listed.stdout).not.toContain(secret);
    // The embedded default policy gives only the local admin anything: the reader is known, and denied.
    await eventually(async () => {
      const denied = await cli(['get', 'apps/cli/binance', '--credential', id]);
      expect(denied.code).toBe(EXIT.denied);
      expect(denied.stderr).toMatch(/access_denied/);
    });
    const allow = await cli(['policy', 'check', '--principal', LOCAL_ADMIN, '--action', 'destroy', '--path', 'a/b']);
    expect(allow).toMatchObject({ code: EXIT.ok });
    expect(allow.stdout).toMatch(/^allow: rule 0 /);
    const deny = await cli(['policy', 'check', '--principal', READER, '--action', 'read', '--path', 'a/b', '--json']);
    expect(deny.code).toBe(EXIT.denied);
    expect(JSON.parse(deny.stdout)).toEqual({ decision: 'deny', principal: READER });
    const policyFile = join(dir, 'candidate.json');
    writeFileSync(
      policyFile,
      JSON.stringify({
        rules: [
          { principals: ['arn:aws:sts::123456789012:assumed-role/reader/s1'], actions: ['read'], paths: ['apps/*'] },
        ],
      }),
    );
    const session = 'arn:aws:sts::123456789012:assumed-role/reader/batch-7';
    const candidate = await cli([
      'policy',
      'check',
      '--principal',
      session,
      '--action',
      'read',
      '--path',
      'apps/x',
      '--policy-file',
      policyFile,
      '--json',
    ]);
    expect(JSON.parse(candidate.stdout)).toEqual({ decision: 'allow', rule: 0, principal: READER });

    expect((await cli(['credentials', 'remove', id])).code).toBe(EXIT.ok);
    await eventually(async () => {
      expect((await cli(['get', 'apps/cli/binance', '--credential', id])).code).toBe(EXIT.usage);
    });
    expect((await cli(['credentials', 'remove', id])).code).toBe(EXIT.notFound);
  });

  it('every other outcome has its own exit status and one stderr line', async () => {
    const usage = await cli(['get', 'apps/cli/binance', '--nope']);
    expect(usage.code).toBe(EXIT.usage);
    expect(usage.stderr.split('\n')).toHaveLength(2);
    expect((await cli(['frobnicate'])).code).toBe(EXIT.usage);
    expect((await cli(['credentials'])).stderr).toMatch(/needs a subcommand: credentials add/);
    expect((await cli(['get', 'apps/cli/missing'])).code).toBe(EXIT.notFound);
    expect((await cli(['get', 'apps/cli/binance', '--field', 'nope'])).code).toBe(EXIT.notFound);
    const conflict = await cli(['put', 'apps/cli/binance', '--cas', '0'], { input: '{"a":"s3cr3t-conflict"}' });
    expect(conflict.code).toBe(EXIT.conflict);
    expect(conflict.stderr).not.toContain('s3cr3t');
    expect((await cli(['get', 'bad//path'])).code).toBe(EXIT.usage);

    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const unreachable = await cli(['get', 'apps/cli/binance', '--endpoint', `http://127.0.0.1:${port}`]);
    expect(unreachable.code).toBe(EXIT.unavailable);
    expect(unreachable.stderr).toMatch(/cannot reach the vault \(ECONNREFUSED\)/);

    // A vault that answers 503 (after the client's bounded retries) and 500.
    const answers: Server = createServer((req, res) => {
      const status = req.url!.includes('busy') ? 503 : 500;
      const code = status === 503 ? 'dependency_unavailable' : 'integrity_error';
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(JSON.stringify({ error: { code, message: 'stand-in', requestId: 'r-1' } }));
    });
    await new Promise<void>((r) => answers.listen(0, '127.0.0.1', r));
    const stand = `http://127.0.0.1:${(answers.address() as AddressInfo).port}`;
    try {
      expect((await cli(['get', 'apps/busy', '--endpoint', stand])).code).toBe(EXIT.unavailable);
      expect((await cli(['get', 'apps/broken', '--endpoint', stand])).code).toBe(EXIT.other);
    } finally {
      await new Promise<void>((r) => answers.close(() => r()));
    }
    expect((await cli(['--help'])).stdout).toMatch(/exit status:\n\s+0 {2}done/);
  });

  it('the bin runs as a process: piped output, exit status and stderr line (npx kms-vault)', async () => {
    const run = promisify(execFile);
    const bin = join(ROOT, 'bin/kms-vault.js');
    const ok = await run(process.execPath, [bin, 'get', 'apps/cli/binance', '--field', 'apiKey'], {
      env: { ...process.env, ...env },
    });
    expect(ok.stdout).toBe(SECRET.apiKey);
    const missing = await run(process.execPath, [bin, 'get', 'apps/cli/none'], {
      env: { ...process.env, ...env },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(missing).toMatchObject({ code: EXIT.notFound, stderr: expect.stringMatching(/^kms-vault: not_found/) });
  });

  it('rewrap runs the walk in this process once the server has stopped (npm run rewrap too)', async () => {
    await vault!.close();
    vault = undefined;
    const run = await cli(['rewrap', '--prefix', 'pages/']);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/rewrap finished .*5 secrets processed/);
    expect((await cli(['rewrap', '--concurrency', '0'])).code).toBe(EXIT.usage);
  });
});
