import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { DynamoDbSecretStore } from '../../src/adapters/dynamodb/dynamodb-secret-store';
import { type EmbeddedDynamo, startDynalite } from '../../src/adapters/dynamodb/embedded-dynalite';
import { ensureTable } from '../../src/adapters/dynamodb/table';
import { LocalKeyProvider, localKeyId } from '../../src/adapters/local-keys/local-key-provider';
import { type RewrapSummary, runRewrap } from '../../src/cli/rewrap/walk';
import { DependencyError } from '../../src/core/errors';
import { adminPolicy } from '../../src/core/policy';
import type { KeyProvider } from '../../src/core/ports';
import { type Caller, Vault } from '../../src/core/vault';
import { CountingKeyProvider } from '../support/counting-key-provider';
import { MemoryAudit } from '../support/fakes';

const OPERATOR = 'arn:aws:iam::000000000000:user/vault-admin';
const caller: Caller = { principal: OPERATOR, requestId: 'test' };
const SECRETS = 30;
const PREFIX = 'exchange-keys/';
const pathOf = (i: number) => `${PREFIX}user-${String(i).padStart(3, '0')}/binance`;
const versionsOf = (i: number) => 2 + (i % 2);
/** Values carry a canary so a test can prove no value reaches the CLI's output. */
const secretValueOf = (i: number, v: number) => ({ apiKey: `k-${i}-${v}`, secretKey: `canary-secret-${i}-${v}` });

/** Output as a terminal or a log file would receive it. */
class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

let dynamo: EmbeddedDynamo;
afterAll(async () => dynamo?.close());

async function setup() {
  dynamo ??= await startDynalite();
  const tableName = `rewrap-${randomBytes(4).toString('hex')}`;
  await ensureTable(dynamo.client, tableName);
  const store = new DynamoDbSecretStore({ client: dynamo.client, tableName });
  const vaultWith = (keys: KeyProvider) =>
    new Vault({
      keys,
      store,
      policy: adminPolicy(OPERATOR),
      audit: new MemoryAudit(),
      clock: { now: () => new Date() },
      settings: {
        maxVersions: 10,
        retentionMinAgeHours: 24,
        versionCeiling: 100,
        rotationDays: 30,
        maxWriteAttempts: 5,
      },
    });
  const A = randomBytes(32);
  const B = randomBytes(32);
  const underA = vaultWith(new LocalKeyProvider(A));
  for (let i = 0; i < SECRETS; i++) {
    for (let v = 1; v <= versionsOf(i); v++) await underA.put(caller, pathOf(i), { value: secretValueOf(i, v) });
  }
  // One secret outside the prefix, which a prefixed run must leave alone.
  await underA.put(caller, 'other/secret', { value: 'outside' });
  return { A, B, vaultWith, store };
}

async function run(
  vault: Vault,
  options: { isTTY?: boolean; now?: () => number; concurrency?: number; signal?: AbortSignal } = {},
) {
  const out = new Capture();
  const summary = await runRewrap({
    vault,
    prefix: PREFIX,
    out,
    isTTY: options.isTTY ?? false,
    pageSize: 7,
    heartbeatMs: 0,
    principal: OPERATOR,
    ...options,
  });
  return { summary, text: out.text };
}

/** Every version of every secret opens with its value, and is recorded under `kid`. */
async function expectAllOpen(vault: Vault, kid?: string) {
  for (let i = 0; i < SECRETS; i++) {
    const path = pathOf(i);
    const meta = await vault.describe(caller, path);
    expect(meta.versions.map((v) => v.version)).toEqual(Array.from({ length: versionsOf(i) }, (_, k) => k + 1));
    for (const { version } of meta.versions) {
      await expect(vault.get(caller, path, version)).resolves.toMatchObject({
        version,
        value: secretValueOf(i, version),
      });
    }
    if (kid) expect(meta.versions.map((v) => v.kid)).toEqual(meta.versions.map(() => kid));
  }
}

const expectCounts = (summary: RewrapSummary, counts: { rewrapped: number; skipped: number; failed: number }) => {
  expect({
    rewrapped: summary.rewrapped,
    skipped: summary.skipped,
    failed: summary.failed.length,
    secrets: summary.secrets,
  }).toEqual({
    ...counts,
    secrets: counts.rewrapped + counts.skipped + counts.failed,
  });
};

describe('npm run rewrap: runRewrap', () => {
  it('moves every version to the new key; the old key can go; a rerun skips everything', async () => {
    const { A, B, vaultWith } = await setup();
    const moving = vaultWith(new LocalKeyProvider(B, [A]));
    const first = await run(moving, { concurrency: 4 });
    expectCounts(first.summary, { rewrapped: SECRETS, skipped: 0, failed: 0 });
    const totalVersions = Array.from({ length: SECRETS }, (_, i) => versionsOf(i)).reduce((a, b) => a + b, 0);
    expect(first.summary.versionsRewrapped).toBe(totalVersions);
    expect(first.summary.keyId).toBe(localKeyId(B));
    expect(first.summary.interrupted).toBe(false);
    await expectAllOpen(moving, localKeyId(B));

    // A gone (disabled, deleted): everything still opens under B alone.
    await expectAllOpen(vaultWith(new LocalKeyProvider(B)), localKeyId(B));
    // The secret outside the prefix was not touched: it still needs A.
    await expect(vaultWith(new LocalKeyProvider(B)).get(caller, 'other/secret')).rejects.toMatchObject({
      code: 'unknown_key',
    });

    const again = await run(moving);
    expectCounts(again.summary, { rewrapped: 0, skipped: SECRETS, failed: 0 });
    expect(again.text).toMatch(/rewrapped: 0 secrets/);
    expect(again.text).toMatch(/skipped: +30 secrets/);
  });

  it('a run that fails after N secrets reports the failures; a rerun finishes with nothing lost', async () => {
    const { A, B, vaultWith, store } = await setup();
    // Secrets hold 2, 3, 2, 3... versions, so the 22nd rewrap is the 2nd version of the 9th
    // secret: its version 1 item is moved, its HEAD (version 2) is not.
    const failing = new CountingKeyProvider(new LocalKeyProvider(B, [A])).failAfter(
      'rewrapDataKey',
      21,
      () => new DependencyError('keys', 'injected outage'),
    );
    const broken = await run(vaultWith(failing));
    expect(broken.summary.rewrapped).toBeGreaterThan(0);
    expect(broken.summary.failed.length).toBeGreaterThan(0);
    expect(broken.summary.secrets).toBe(SECRETS);
    for (const failure of broken.summary.failed)
      expect(failure).toEqual({
        path: expect.stringMatching(/^exchange-keys\//),
        reason: 'dependency_unavailable (keys)',
      });
    expect(broken.text).toMatch(/failed: +\d+ secrets/);
    expect(broken.text).toContain('dependency_unavailable (keys)');
    expect(broken.text).toContain(broken.summary.failed[0]!.path);
    expect(broken.text).toMatch(/rerun/);
    expect(broken.text).not.toMatch(/canary|injected outage/);
    expect(broken.summary.rewrapped).toBe(8);
    const half = broken.summary.failed[0]!.path;
    expect(half).toBe(pathOf(8));
    expect((await store.getVersion(half, 1))!.kid).toBe(localKeyId(B));
    expect((await store.getHead(half))!.envelope!.kid).toBe(localKeyId(A));
    const healthy = vaultWith(new LocalKeyProvider(B, [A]));
    // The HEAD summary still records A for both: only the committed HEAD speaks for the secret.
    expect((await healthy.describe(caller, half)).versions.map((v) => v.kid)).toEqual([localKeyId(A), localKeyId(A)]);

    // In between, with both keys held, every version opens (moved ones under B, the rest under A).
    await expectAllOpen(healthy);

    const rerun = await run(healthy);
    expect(rerun.summary.failed).toEqual([]);
    // Everything the broken run completed is skipped now; what it did not finish is rewrapped.
    expect(rerun.summary.skipped).toBe(broken.summary.rewrapped);
    expect(rerun.summary.rewrapped).toBe(broken.summary.failed.length);
    await expectAllOpen(vaultWith(new LocalKeyProvider(B)), localKeyId(B));
  });

  it('an interrupted run stops after the secret in flight, says so, and a rerun finishes', async () => {
    const { A, B, vaultWith } = await setup();
    const controller = new AbortController();
    const vault = vaultWith(new LocalKeyProvider(B, [A]));
    let done = 0;
    const interrupting = Object.create(vault) as Vault;
    interrupting.rewrap = async (...args) => {
      const result = await vault.rewrap(...args);
      if (++done === 5) controller.abort();
      return result;
    };
    const stopped = await run(interrupting, { signal: controller.signal });
    expect(stopped.summary.interrupted).toBe(true);
    expectCounts(stopped.summary, { rewrapped: 5, skipped: 0, failed: 0 });
    expect(stopped.text).toMatch(/rewrap interrupted/);
    const rest = await run(vault);
    expectCounts(rest.summary, { rewrapped: SECRETS - 5, skipped: 5, failed: 0 });
    await expectAllOpen(vaultWith(new LocalKeyProvider(B)), localKeyId(B));
  });

  it('prints plain progress lines and a summary when not on a terminal, and a redrawn bar when on one', async () => {
    const { A, B, vaultWith } = await setup();
    // A clock that moves 1 s per reading, so the 5 s plain-line interval passes during the run.
    let t = 0;
    const plain = await run(vaultWith(new LocalKeyProvider(B, [A])), { now: () => (t += 1000) });
    expect(plain.text).not.toContain('\r');
    expect(plain.text).toMatch(/^counting secrets under "exchange-keys\/"/m);
    expect(plain.text).toMatch(/^rewrapping 30 secrets under "exchange-keys\/"/m);
    const lines = plain.text.split('\n').filter((l) => l.startsWith('progress: '));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines[0]).toMatch(
      /^progress: \d+\/30 secrets \(\d+%\) \| \d+ rewrapped, \d+ skipped, 0 failed \| [\d.]+\/s \| ETA \S+$/,
    );
    expect(lines.at(-1)).toMatch(/^progress: 30\/30 secrets \(100%\) \| 30 rewrapped, 0 skipped, 0 failed/);
    expect(plain.text).toMatch(
      /^rewrap finished after .*: 30 secrets processed under "exchange-keys\/"; current key local:/m,
    );
    expect(plain.text).toMatch(/^ {2}rewrapped: 30 secrets \(\d+ versions moved to the current key\)$/m);
    expect(plain.text).toMatch(/^ {2}failed: +0 secrets$/m);
    expect(plain.text).not.toMatch(/canary/);

    t = 0;
    const tty = await run(vaultWith(new LocalKeyProvider(B, [A])), { isTTY: true, now: () => (t += 50) });
    expect(tty.text).toContain('\r');
    expect(tty.text).toMatch(/\r\[#+-*\] +\d+% \d+\/30 secrets \| 0 rewrapped, \d+ skipped, 0 failed/);
    expect(tty.text).toMatch(/\r\[#{24}\] 100% 30\/30 secrets/);
    expect(tty.text).not.toMatch(/^progress: /m);
    // Throttled: at 50 ms per clock reading and a 100 ms interval, far fewer redraws than secrets would allow unthrottled.
    expect(tty.text.split('\r').length - 1).toBeLessThan(SECRETS + 2);
    expect(tty.text).toMatch(/skipped: +30 secrets/);
  });
});
