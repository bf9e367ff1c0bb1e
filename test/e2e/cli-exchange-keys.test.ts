import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../src/cli/exit-codes';
import { EXCHANGES } from '../../src/core/exchange-keys';
import { LOOPBACK, type StubKey } from '../stubs/exchanges';
import { cliRunner } from '../support/cli-runner';
import { loopbackKey, startVaultWithStubs, type VaultWithStubs } from '../support/exchange-vault';

// kms-vault put --exchange, list --flagged and recheck against the embedded vault, which asks
// the stub exchanges (on loopback) about every key, as it would ask the real ones.

const SECRET = 'sk-cli-exchange-never-printed-5c1e';
const PASSPHRASE = 'pp-cli-never-printed';
const okx = (apiKey: string) => ({ apiKey, secretKey: SECRET, passphrase: PASSPHRASE });
const binance = (apiKey: string) => ({ apiKey, secretKey: SECRET });
/** Every part of every credential this file sends: none may ever be printed. */
const NEVER = [SECRET, PASSPHRASE, 'cli-okx-trade', 'cli-okx-changing', 'cli-bn-withdraw', 'cli-bn-trade'];

/** A key whose permissions a test changes while it is stored (the stub reads it per request). */
const changing: StubKey = loopbackKey('cli-okx-changing', 'trade', SECRET, PASSPHRASE);

let world: VaultWithStubs;
const cli = cliRunner(() => world.env);

beforeAll(async () => {
  world = await startVaultWithStubs({
    okx: [loopbackKey('cli-okx-trade', 'trade', SECRET, PASSPHRASE), changing],
    binance: [loopbackKey('cli-bn-withdraw', 'withdraw', SECRET), loopbackKey('cli-bn-trade', 'trade', SECRET)],
  });
});
afterAll(async () => {
  await world?.close();
});

function expectNoSecret(...texts: string[]): void {
  for (const text of texts) for (const secret of NEVER) expect(text).not.toContain(secret);
}

describe('kms-vault put --exchange', () => {
  it('stores a trade-only key the exchange vouched for, and prints it masked with the check', async () => {
    const asked = world.stubs.okx!.requests.length;
    const put = await cli(['put', 'cli/u1/okx', '--exchange', 'okx', '--label', 'desk=a', '--cas', '0'], {
      input: JSON.stringify(okx('cli-okx-trade')),
    });
    expect(put).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(JSON.parse(put.stdout)).toMatchObject({
      path: 'cli/u1/okx',
      version: 1,
      labels: { desk: 'a' },
      kind: 'exchange-api-key',
      exchange: 'okx',
      apiKeyHint: expect.stringMatching(/^.{1,4}\*\*\*\*.{1,4}$/),
      check: { exchange: 'okx', canTrade: true, canWithdraw: false, ipRestricted: true },
    });
    // The vault asked the exchange before storing.
    expect(world.stubs.okx!.requests.length).toBeGreaterThan(asked);
    const described = await cli(['describe', 'cli/u1/okx']);
    expect(JSON.parse(described.stdout)).toMatchObject({ kind: 'exchange-api-key', exchange: 'okx' });
    expectNoSecret(put.stdout, put.stderr, described.stdout);
    // Sealed whole, as any secret: get still returns what was put.
    expect(JSON.parse((await cli(['get', 'cli/u1/okx'])).stdout)).toEqual(okx('cli-okx-trade'));
  });

  it('refuses a key that can withdraw: exit 2, the reason on one stderr line, nothing stored', async () => {
    const file = join(world.env.VAULT_DATA_DIR!, '..', 'withdraw.json');
    writeFileSync(file, JSON.stringify(binance('cli-bn-withdraw')), { mode: 0o600 });
    const asked = world.stubs.binance!.requests.length;
    const put = await cli(['put', 'cli/u2/binance', '--exchange', 'binance', '--file', file]);
    expect(put.code).toBe(EXIT.usage);
    expect(put.stdout).toBe('');
    expect(put.stderr).toMatch(/^kms-vault: exchange_key_rejected: .*\[withdraw_enabled\] \(request [\w-]+\)\n$/);
    expect(world.stubs.binance!.requests.length).toBeGreaterThan(asked);
    expectNoSecret(put.stderr);
    expect((await cli(['describe', 'cli/u2/binance'])).code).toBe(EXIT.notFound);
  });

  it('names what the exchange answered for a key it does not know (exit 2), never the key', async () => {
    const put = await cli(['put', 'cli/u3/okx', '--exchange', 'okx'], {
      input: JSON.stringify(okx('cli-okx-unknown')),
    });
    expect(put.code).toBe(EXIT.usage);
    expect(put.stderr).toMatch(
      /^kms-vault: exchange_key_invalid: .*\[exchange: okx; exchangeCode: 50111; reason: unknown_key\] \(request [\w-]+\)\n$/,
    );
    expect(put.stderr).not.toContain('cli-okx-unknown');
    expectNoSecret(put.stderr);
  });

  it('a credential of the wrong shape is exit 2, its stderr naming the field, never its value', async () => {
    const asked = world.stubs.okx!.requests.length;
    const put = await cli(['put', 'cli/u3/okx-shape', '--exchange', 'okx'], {
      input: JSON.stringify({ apiKey: 'cli-okx-trade', secretKey: SECRET }),
    });
    expect(put.code).toBe(EXIT.usage);
    expect(put.stderr).toMatch(
      /^kms-vault: validation_error: invalid okx credential \[passphrase: .+\] \(request [\w-]+\)\n$/,
    );
    expectNoSecret(put.stderr);
    expect(world.stubs.okx!.requests.length).toBe(asked);
  });

  it('checks the exchange name and the value before asking anything of the vault', async () => {
    const asked = world.stubs.okx!.requests.length;
    // stdin is a terminal: were it read first, the error would be about that.
    const unknown = await cli(['put', 'cli/u4/ftx', '--exchange', 'ftx'], { stdinTty: true });
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toBe(`kms-vault: --exchange "ftx" is not one the vault knows: ${EXCHANGES.join(', ')}\n`);
    const raw = await cli(['put', 'cli/u4/okx', '--exchange', 'okx', '--raw'], { input: 'text' });
    expect([raw.code, raw.stderr]).toEqual([EXIT.usage, expect.stringMatching(/--exchange and --raw/)]);
    const text = await cli(['put', 'cli/u4/okx', '--exchange', 'okx'], { input: JSON.stringify(SECRET) });
    expect(text.code).toBe(EXIT.usage);
    expect(text.stderr).toMatch(/the value is a JSON object/);
    expectNoSecret(text.stderr);
    expect(world.stubs.okx!.requests.length).toBe(asked);
    expect((await cli(['describe', 'cli/u4/okx'])).code).toBe(EXIT.notFound);
  });

  it('a conflict of kind or a duplicate key is exit 5', async () => {
    await cli(['put', 'cli/u5/plain'], { input: '"not an exchange key"' });
    const kind = await cli(['put', 'cli/u5/plain', '--exchange', 'binance'], {
      input: JSON.stringify(binance('cli-bn-trade')),
    });
    expect([kind.code, kind.stderr]).toEqual([EXIT.conflict, expect.stringMatching(/^kms-vault: kind_mismatch: /)]);
    const duplicate = await cli(['put', 'cli/u5/okx-again', '--exchange', 'okx'], {
      input: JSON.stringify(okx('cli-okx-trade')),
    });
    expect(duplicate.code).toBe(EXIT.conflict);
    expect(duplicate.stderr).toMatch(/^kms-vault: duplicate_exchange_key: /);
    expectNoSecret(kind.stderr, duplicate.stderr);
  });
});

describe('kms-vault recheck and list --flagged', () => {
  const paths = (stdout: string) =>
    stdout
      .trim()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line).path);

  afterEach(() => {
    changing.profile = 'trade';
  });

  it('recheck exits 0 for a key that still passes, 1 once the key can withdraw; list --flagged follows', async () => {
    changing.profile = 'trade';
    const stored = await cli(['put', 'cli/watch/okx', '--exchange', 'okx'], {
      input: JSON.stringify(okx('cli-okx-changing')),
    });
    expect(stored.code).toBe(EXIT.ok);

    const clean = await cli(['recheck', 'cli/watch/okx']);
    expect(clean).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(JSON.parse(clean.stdout)).toMatchObject({
      path: 'cli/watch/okx',
      version: 1,
      flagged: [],
      check: { canWithdraw: false },
    });
    expect((await cli(['list', '--prefix', 'cli/', '--flagged'])).stdout).toBe('');

    changing.profile = 'withdraw';
    const flagged = await cli(['recheck', 'cli/watch/okx']);
    expect(flagged).toMatchObject({ code: EXIT.other, stderr: '' });
    expect(JSON.parse(flagged.stdout)).toMatchObject({
      version: 1,
      flagged: ['withdraw_enabled'],
      check: { canWithdraw: true },
      apiKeyHint: expect.any(String),
    });
    expectNoSecret(clean.stdout, flagged.stdout);

    const listed = await cli(['list', '--prefix', 'cli/', '--flagged']);
    expect(listed).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(paths(listed.stdout)).toEqual(['cli/watch/okx']);
    expect(JSON.parse(listed.stdout)).toMatchObject({ flagged: ['withdraw_enabled'] });
    // Without --flagged, every key under the prefix.
    expect(paths((await cli(['list', '--prefix', 'cli/', '--all'])).stdout)).toEqual(
      expect.arrayContaining(['cli/u1/okx', 'cli/watch/okx']),
    );
    // On a terminal: a table with the reasons; --json keeps JSON lines; --all pages through.
    const table = await cli(['list', '--flagged', '--prefix', 'cli/', '--all'], { tty: true });
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^PATH\s+VERSION\s+STATE\s+UPDATED\s+ROTATION DUE\s+FLAGGED\s+LABELS$/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^cli\/watch\/okx\s+1\s+active\s.*\swithdraw_enabled$/)]);
    const json = await cli(['list', '--flagged', '--prefix', 'cli/', '--json', '--limit', '1', '--all'], {
      tty: true,
    });
    expect(paths(json.stdout)).toEqual(['cli/watch/okx']);

    // Once the key no longer can withdraw, a re-check clears the flag.
    changing.profile = 'trade';
    expect((await cli(['recheck', 'cli/watch/okx'])).code).toBe(EXIT.ok);
    expect((await cli(['list', '--prefix', 'cli/', '--flagged', '--all'])).stdout).toBe('');
  });

  // The key the test above stored (the same key cannot be stored at a second path).
  it('a key the exchange now refuses is flagged too (exit 1), with the refusal code', async () => {
    changing.profile = 'ip-blocked';
    changing.whitelist = ['203.0.113.7'];
    try {
      const run = await cli(['recheck', 'cli/watch/okx']);
      expect(run.code).toBe(EXIT.other);
      expect(JSON.parse(run.stdout).flagged).toEqual(['exchange_ip_not_whitelisted']);
    } finally {
      changing.whitelist = LOOPBACK;
    }
  });

  it('recheck of a plain secret is exit 2, of a missing one exit 3', async () => {
    await cli(['put', 'cli/plain'], { input: '"v"' });
    const plain = await cli(['recheck', 'cli/plain']);
    expect([plain.code, plain.stderr]).toEqual([EXIT.usage, expect.stringMatching(/not an exchange key/)]);
    expect((await cli(['recheck', 'cli/nothing-here'])).code).toBe(EXIT.notFound);
  });

  it('--help says what recheck exits with, points at the sweep, and lists 422 under exit 2', async () => {
    const help = await cli(['recheck', '--help']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toMatch(/^usage: kms-vault recheck PATH \[options\]/);
    expect(help.stdout).toMatch(/Exit status 0 when flagged is empty, 1 when the key\s+is flagged/);
    expect(help.stdout).toMatch(/exchange-check sweep/);
    expect(help.stdout).toMatch(/\n {4}2 {2}.*\(400, 413, 415, 422\)\n/);
    expect((await cli(['put', '--help'])).stdout).toMatch(new RegExp(`--exchange EXCHANGE .*${EXCHANGES.join(', ')}`));
    expect((await cli(['list', '--help'])).stdout).toMatch(/--flagged\s+only exchange keys/);
    expect((await cli(['--help'])).stdout).toMatch(/\n {2}recheck\s+ask the exchange again/);
  });
});
