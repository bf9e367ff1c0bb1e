/**
 * (d) The Lambda bundle, built as the deploy builds it (lambda-bundle.ts), measured as a Lambda
 * container would run it:
 *
 * - size of the one file, and the packages that make up most of it (esbuild's metafile);
 * - FRESH_PROCESSES fresh node processes, one after another: each loads the bundle (module
 *   init, the budgeted figure) and then serves one read as its first invocation, against
 *   dynalite and the fake KMS of test/deploy behind a proxy that adds KMS_DELAY_MS to every
 *   KMS call (a cold container has no cached data key, so that read calls KMS Decrypt);
 * - in the last of them, WARM_READS more reads of the same secret, one at a time.
 *
 * Timings are taken inside the runner process (lib/lambda-runner.ts), so neither process
 * start-up (the Lambda runtime's own) nor IPC is in them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultAuditTableName, ensureAuditTable } from '../src/adapters/dynamodb/audit-table';
import { startDynalite } from '../src/adapters/dynamodb/embedded-dynalite';
import { ensureTable } from '../src/adapters/dynamodb/table';
import { FakeKms } from '../test/support/fake-kms';
import { serveKms } from '../test/support/fake-kms-server';
import { buildLambdaBundle } from './lambda-bundle';
import { startDelayProxy } from './lib/delay-proxy';
import { httpApiEvent, type LambdaResult, startLambdaProcess, writeRunner } from './lib/lambda-runner';
import { waitForQuiet } from './lib/proc-cpu';
import { iqrSpread, quantile, round, type Spread } from './lib/verdict';
import { SECRET_VALUE } from './lib/workload';

export const BUNDLE_BYTES_BUDGET = 600 * 1024;
export const INIT_MS_BUDGET = 100;
export const KMS_DELAY_MS = 15;
const FRESH_PROCESSES = 9;
const WARM_READS = 1000;

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const READER = `arn:aws:iam::${ACCOUNT}:role/trading-engine`;
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/vault-admin`;
const PATH = 'exchange-keys/user-1842/binance-main';

export interface BundleResults {
  method: string;
  bundleBytes: number;
  bundleKiB: number;
  /** The packages (or src/) with the most bytes in the bundle. */
  largestInputs: Array<{ input: string; KiB: number }>;
  /** Module init (require of the bundle) in each fresh process, ms: median and interquartile range. */
  initMs: Spread;
  /** Module init + the first invocation (a read that calls KMS Decrypt), ms, per fresh process. */
  coldFirstRequestMs: Spread;
  /** The first invocation alone, ms. */
  firstInvocationMs: Spread;
  /** KMS calls the first read made (each delayed by kmsDelayMs). */
  kmsCallsOnColdRead: Record<string, number>;
  kmsDelayMs: number;
  /** Fresh processes started although other processes used > 0.25 cores after a 10 s wait. */
  processesStartedBusy: number;
  /** WARM_READS sequential reads in one warm process, ms per invocation. */
  warmReads: { count: number; p50: number; p99: number; max: number; mean: number };
}

function packageOf(input: string): string {
  const nm = input.lastIndexOf('node_modules/');
  if (nm === -1) return input.startsWith('src/') ? 'src/' : input;
  const parts = input.slice(nm + 'node_modules/'.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

function expectValue(result: LambdaResult, what: string): void {
  const text = result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body;
  if (result.statusCode !== 200) throw new Error(`${what}: HTTP ${result.statusCode} ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { value?: unknown };
  if (JSON.stringify(body.value) !== JSON.stringify(SECRET_VALUE)) throw new Error(`${what} returned another value`);
}

export async function measureLambdaBundle(log: (line: string) => void = () => {}): Promise<BundleResults> {
  const workdir = mkdtempSync(join(tmpdir(), 'kms-vault-bundle-'));
  const closers: Array<() => Promise<void>> = [];
  try {
    const bundle = await buildLambdaBundle(workdir);
    const byPackage = new Map<string, number>();
    for (const output of Object.values(bundle.metafile.outputs))
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs))
        byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytesInOutput);
    const largestInputs = [...byPackage.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([input, bytes]) => ({ input, KiB: round(bytes / 1024, 1) }));

    const dynamo = await startDynalite({ listen: 'tcp' });
    closers.push(dynamo.close);
    const fakeKms = new FakeKms({ region: REGION, account: ACCOUNT });
    const keyArn = fakeKms.createKey();
    const macKeyArn = fakeKms.createKey();
    const kms = await serveKms(fakeKms);
    closers.push(kms.close);
    const slowKms = await startDelayProxy(kms.endpoint, KMS_DELAY_MS);
    closers.push(slowKms.close);
    const tableName = 'kms-vault-bench-lambda';
    await ensureTable(dynamo.client, tableName);
    // Lambda's default trail is durable: every read writes its access record before answering.
    await ensureAuditTable(dynamo.client, defaultAuditTableName(tableName));

    // What Lambda would set, plus the endpoints of the local stand-ins; default cache settings.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AWS_LAMBDA_FUNCTION_NAME: 'kms-vault-bench-api',
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'ASIABENCHONLY',
      AWS_SECRET_ACCESS_KEY: 'bench-only-secret',
      AWS_SESSION_TOKEN: 'bench-only-token',
      AWS_CONFIG_FILE: join(workdir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(workdir, 'no-credentials'),
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint!,
      AWS_ENDPOINT_URL_KMS: slowKms.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      VAULT_KMS_KEY_ID: keyArn,
      VAULT_KMS_MAC_KEY_ID: macKeyArn,
      VAULT_TABLE_NAME: tableName,
      VAULT_POLICY: JSON.stringify({
        rules: [
          { principals: [READER], actions: ['read', 'describe'], paths: ['exchange-keys/*'] },
          { principals: [ADMIN], actions: ['write', 'describe'], paths: ['exchange-keys/*'] },
        ],
      }),
    };
    const runner = writeRunner(workdir);
    const start = () => startLambdaProcess(runner, bundle.file, env, workdir);

    // Seed the secret in a process of its own, so every measured process starts cold.
    const seeder = await start();
    try {
      const put = await seeder.invoke(
        httpApiEvent({ method: 'PUT', path: `/v1/secrets/${PATH}`, caller: ADMIN, body: { value: SECRET_VALUE } }),
      );
      if (put.result.statusCode !== 201)
        throw new Error(`seeding through the bundle: HTTP ${put.result.statusCode} ${put.result.body.slice(0, 300)}`);
    } finally {
      await seeder.stop();
    }

    const read = httpApiEvent({ method: 'GET', path: `/v1/secrets/${PATH}`, caller: READER });
    const init: number[] = [];
    const first: number[] = [];
    const cold: number[] = [];
    let kmsCallsOnColdRead: Record<string, number> = {};
    let warm: number[] = [];
    log(
      `  ${FRESH_PROCESSES} fresh processes: init + first read (KMS +${KMS_DELAY_MS} ms), then ${WARM_READS} warm reads`,
    );
    let busy = 0;
    for (let i = 0; i < FRESH_PROCESSES; i++) {
      // Init is a burst of CPU: let other work on the machine finish first (bounded wait).
      if (!(await waitForQuiet([], 0.25, 10_000)).quiet) busy += 1;
      const lambda = await start();
      try {
        const callsBefore = fakeKms.calls.length;
        const { ms, result } = await lambda.invoke(read);
        expectValue(result, 'the cold read');
        init.push(lambda.initMs);
        first.push(ms);
        cold.push(lambda.initMs + ms);
        kmsCallsOnColdRead = {};
        for (const call of fakeKms.calls.slice(callsBefore))
          kmsCallsOnColdRead[call.operation] = (kmsCallsOnColdRead[call.operation] ?? 0) + 1;
        if (i === FRESH_PROCESSES - 1) warm = await lambda.loop(read, WARM_READS, 200);
      } finally {
        await lambda.stop();
      }
    }

    if (busy > 0) log(`    ! ${busy} of ${FRESH_PROCESSES} fresh processes started while the machine was busy`);
    const kind = `interquartile range of ${FRESH_PROCESSES} fresh processes`;
    return {
      method: `esbuild with the deploy's options and plugins; ${FRESH_PROCESSES} fresh node processes in turn, each after waiting (<= 10 s) for other processes to use < 0.25 cores: require the bundle (init), then one GET through the handler as an HTTP API (v2) event with an IAM caller, DynamoDB = dynalite on loopback, KMS = the test fake KMS (test/support) behind a proxy adding ${KMS_DELAY_MS} ms per call, default data-key cache (empty in a fresh process); then ${WARM_READS} sequential GETs in the last process. Times measured inside the process; spreads are interquartile ranges`,
      bundleBytes: bundle.bytes,
      bundleKiB: round(bundle.bytes / 1024, 1),
      largestInputs,
      initMs: iqrSpread(init, kind),
      coldFirstRequestMs: iqrSpread(cold, kind),
      firstInvocationMs: iqrSpread(first, kind),
      kmsCallsOnColdRead,
      kmsDelayMs: KMS_DELAY_MS,
      processesStartedBusy: busy,
      warmReads: {
        count: warm.length,
        p50: round(quantile(warm, 0.5), 2),
        p99: round(quantile(warm, 0.99), 2),
        max: round(Math.max(...warm), 2),
        mean: round(warm.reduce((a, b) => a + b, 0) / warm.length, 2),
      },
    };
  } finally {
    for (const close of closers.reverse()) await close();
    rmSync(workdir, { recursive: true, force: true });
  }
}
