/**
 * (a) HTTP: the embedded vault against a bare express route doing the same storage round trip,
 * both on loopback, same machine, same run. The primary figure is server CPU per request,
 * vault over baseline; throughput and latency are reported beside it.
 *
 * Process layout, and why: the box has 2 cores. autocannon is itself CPU-hungry (it parses
 * every response in JS), so running it in the same process as a server would make the two
 * share one event loop and the measured server would be throttled by its own load generator.
 * Instead each server runs in its own child process (started with tsx, like `npm start`), with
 * its dynalite inside it exactly as in embedded mode, and autocannon runs here in the parent.
 * Vault and baseline are measured the same way: same child layout, same load generator, same
 * connection counts, one after the other (never at the same time), reads before writes (both
 * servers' stores grow during writes). Each (server, workload) gets an untimed warm-up first;
 * each point is timed `runsPerServer` times per server in ABBA order (A B, B A, A B, ...), each
 * run after a bounded wait for the rest of the machine to go quiet. Each adjacent pair gives one
 * ratio; the median of those ratios and their spread decide the verdict (see lib/verdict.ts).
 *
 * Why CPU per request: on a shared 2-core box the throughput of a CPU-bound server moves with
 * whatever else runs, and moves both servers' figures differently when the noise comes and goes
 * between their runs. The CPU a server process spends per answered request is what the code
 * costs; it moves much less with the load around it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerChild, startChild } from './lib/child';
import { type LoadRun, runLoad } from './lib/load';
import { processCpuMs, waitForQuiet } from './lib/proc-cpu';
import { type PresignedRequest, presign, send } from './lib/sign';
import { median, rangeSpread, round, type Spread } from './lib/verdict';
import { PUT_BODY, READ_PATH, SECRET_VALUE, writePath } from './lib/workload';
import type { BaselineServerInfo } from './servers/baseline-server';
import type { VaultServerInfo } from './servers/vault-server';

/** Reads: vault server CPU per request at most this many times the baseline's (16 and 64 connections). */
export const READ_CPU_RATIO_BUDGET = 1.15;
/** Reads: vault throughput at least this fraction of the baseline's, at READ_THROUGHPUT_CONNECTIONS. */
export const READ_THROUGHPUT_RATIO_BUDGET = 0.9;
export const READ_THROUGHPUT_CONNECTIONS = 16;
/** Before each timed run, wait (at most MAX_QUIET_WAIT_MS) until other processes use less than this. */
const MAX_OTHER_CORES = 0.25;
const MAX_QUIET_WAIT_MS = 20_000;

export interface HttpOptions {
  durationSec: number;
  warmupSec: number;
  connections: number[];
  /** Timed runs per server and point, in ABBA order (at least 3 for a verdict). */
  runsPerServer: number;
  /** Which workloads to run (both by default); reads alone make a cleaner profile. */
  workloads?: Array<'read' | 'write'>;
  /** Directory for V8 CPU profiles of both server children (`--cpu-prof`), or undefined for none. */
  profileDir?: string;
  /** Extra settings for the vault child (e.g. VAULT_AUDIT=durable for the access-trail variant). */
  vaultEnv?: Record<string, string>;
}

/** One server at one point, over its runs. */
export interface ServerSummary {
  /** Median over runs of 2xx responses per second. */
  rps: number;
  /** Median over runs of server CPU µs per request. */
  cpuUsPerRequest?: number;
  /** p50 and p99: medians over runs; p99Max: the worst run. */
  latencyMs: { p50: number; p99: number; p99Max: number };
  non2xx: number;
  errors: number;
  /** CPU that unrelated processes used during the worst run, in cores (above ~0.3 the point is noisy). */
  otherCpuCoresMax?: number;
  runs: LoadRun[];
}

export interface WorkloadPoint {
  connections: number;
  /** Per pair: vault CPU per request / baseline CPU per request (the primary figure). */
  cpuPerRequestRatio?: Spread;
  /** Per pair: vault rps / baseline rps. */
  throughputRatio?: Spread;
  vault: ServerSummary;
  baseline: ServerSummary;
}

export interface HttpResults {
  method: string;
  cpuSource: string;
  durationSec: number;
  warmupSec: number;
  runsPerServer: number;
  read: WorkloadPoint[];
  write: WorkloadPoint[];
  notes: string[];
}

function summariseServer(runs: LoadRun[]): ServerSummary {
  const cpu = runs.map((r) => r.serverCpuUsPerRequest).filter((c): c is number => c !== undefined);
  const answered = runs.filter((r) => r.requests > 0);
  const others = runs.map((r) => r.otherCpuCores).filter((c): c is number => c !== undefined);
  return {
    rps: round(median(runs.map((r) => r.rps)), 1),
    ...(cpu.length > 0 && { cpuUsPerRequest: round(median(cpu), 1) }),
    latencyMs: {
      p50: answered.length > 0 ? median(answered.map((r) => r.latencyMs.p50)) : 0,
      p99: answered.length > 0 ? median(answered.map((r) => r.latencyMs.p99)) : 0,
      p99Max: Math.max(0, ...answered.map((r) => r.latencyMs.p99)),
    },
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    ...(others.length > 0 && { otherCpuCoresMax: Math.max(...others) }),
    runs,
  };
}

/**
 * Folds the ABBA pairs of one (workload, connections) point into per-pair ratios and
 * per-server figures. A pair where either run answered nothing (possible only in very short
 * runs of slow writes) gives no ratio.
 */
function summarisePoint(connections: number, pairs: Array<Record<'vault' | 'baseline', LoadRun>>): WorkloadPoint {
  const usable = pairs.filter((p) => p.vault.rps > 0 && p.baseline.rps > 0);
  const kind = `min..max of ${usable.length} per-pair ratios`;
  const cpuRatios = usable
    .map((p) =>
      p.vault.serverCpuUsPerRequest !== undefined && p.baseline.serverCpuUsPerRequest
        ? p.vault.serverCpuUsPerRequest / p.baseline.serverCpuUsPerRequest
        : undefined,
    )
    .filter((r): r is number => r !== undefined);
  return {
    connections,
    ...(cpuRatios.length > 0 &&
      cpuRatios.length === usable.length && { cpuPerRequestRatio: rangeSpread(cpuRatios, kind) }),
    ...(usable.length > 0 && {
      throughputRatio: rangeSpread(
        usable.map((p) => p.vault.rps / p.baseline.rps),
        kind,
      ),
    }),
    vault: summariseServer(pairs.map((p) => p.vault)),
    baseline: summariseServer(pairs.map((p) => p.baseline)),
  };
}

/** Only what the children need: a stray VAULT_* in the caller's shell would change the vault under test. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // The SDK's Node 20 end-of-support notice is not a benchmark result.
  const env: NodeJS.ProcessEnv = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...extra };
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG'])
    if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}

async function expectOk(url: string, req: PresignedRequest, what: string): Promise<string> {
  const res = await send(url, req);
  if (res.status < 200 || res.status > 299) throw new Error(`${what}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  return res.body;
}

export async function measureHttp(options: HttpOptions, log: (line: string) => void): Promise<HttpResults> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kms-vault-bench-'));
  const children: Array<ServerChild<unknown>> = [];
  try {
    // Both servers are profiled alike (into profiles/vault and profiles/baseline), so the two can be compared.
    const profileArgs = (name: string) =>
      options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(options.profileDir, name)}`] : [];
    const profileEnv = (name: string): Record<string, string> =>
      options.profileDir ? { BENCH_SOURCE_MAP_DIR: join(options.profileDir, name) } : {};
    const baseline = await startChild<BaselineServerInfo>(
      join(__dirname, 'servers', 'baseline-server.ts'),
      childEnv({ BENCH_DATA_DIR: join(dataDir, 'baseline'), ...profileEnv('baseline') }),
      profileArgs('baseline'),
    );
    children.push(baseline);
    const vault = await startChild<VaultServerInfo>(
      join(__dirname, 'servers', 'vault-server.ts'),
      childEnv({
        VAULT_DATA_DIR: join(dataDir, 'vault'),
        PORT: '0',
        AWS_REGION: 'us-east-1',
        // Count-only retention: the write workload replays one PUT per path thousands of times,
        // so with the default 24-hour minimum age every path reaches VAULT_VERSION_CEILING and
        // the rest answer 409 too_many_versions. With 0, each write past 10 versions drops the
        // oldest one, the steady state the write figures describe.
        VAULT_RETENTION_MIN_AGE_HOURS: '0',
        ...options.vaultEnv,
        ...profileEnv('vault'),
      }),
      profileArgs('vault'),
    );
    children.push(vault);
    const { url: vaultUrl, credential, region } = vault.info;
    const baselineUrl = baseline.info.url;

    // Seed the secret every read fetches, and prove both read routes answer before timing them.
    const sign = (method: 'GET' | 'PUT', path: string, body?: string) =>
      presign(vaultUrl, credential, region, method, path, body);
    await expectOk(vaultUrl, await sign('PUT', `/v1/secrets/${READ_PATH}`, PUT_BODY), 'seeding the vault');
    const readBack = JSON.parse(
      await expectOk(vaultUrl, await sign('GET', `/v1/secrets/${READ_PATH}`), 'vault read check'),
    ) as { value: unknown };
    if (JSON.stringify(readBack.value) !== JSON.stringify(SECRET_VALUE))
      throw new Error('vault read check returned another value');
    await expectOk(
      baselineUrl,
      { method: 'GET', path: `/v1/secrets/${READ_PATH}`, headers: {} },
      'baseline read check',
    );

    // Requests are signed just before each run: a signature is good for 5 minutes.
    const plain = (method: 'GET' | 'PUT', path: string, body?: string): PresignedRequest => ({
      method,
      path,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body !== undefined && { body }),
    });
    const maxConnections = Math.max(...options.connections);
    const workloads = {
      read: {
        vault: async () => {
          const req = await sign('GET', `/v1/secrets/${READ_PATH}`);
          return () => req;
        },
        baseline: async () => () => plain('GET', `/v1/secrets/${READ_PATH}`),
      },
      write: {
        vault: async () => {
          const reqs = await Promise.all(
            Array.from({ length: maxConnections }, (_, i) => sign('PUT', `/v1/secrets/${writePath(i)}`, PUT_BODY)),
          );
          return (i: number) => reqs[i % reqs.length]!;
        },
        baseline: async () => (i: number) => plain('PUT', `/v1/secrets/${writePath(i % maxConnections)}`, PUT_BODY),
      },
    };
    // Server CPU from the OS (/proc/<pid>/stat: every thread of the process, so leveldb's and
    // libuv's threads count too); where there is no /proc, the child's own process.cpuUsage().
    const cpuSource = processCpuMs(baseline.pid) !== undefined ? '/proc/<pid>/stat' : 'process.cpuUsage() in the child';
    const cpuReader = (child: ServerChild<unknown>) => async () => processCpuMs(child.pid) ?? (await child.cpuMs());
    const servers = [
      { name: 'baseline' as const, url: baselineUrl, cpuMs: cpuReader(baseline) },
      { name: 'vault' as const, url: vaultUrl, cpuMs: cpuReader(vault) },
    ];

    const childPids = [baseline.pid, vault.pid];
    const results: { read: WorkloadPoint[]; write: WorkloadPoint[] } = { read: [], write: [] };
    for (const workload of options.workloads ?? (['read', 'write'] as const)) {
      for (const server of servers) {
        log(`  warm-up ${workload} ${server.name} (${options.warmupSec}s, ${maxConnections} connections)`);
        await runLoad({
          url: server.url,
          connections: maxConnections,
          durationSec: options.warmupSec,
          requestFor: await workloads[workload][server.name](),
          childPids,
        });
      }
      for (const connections of options.connections) {
        const pairs: Array<Record<'vault' | 'baseline', LoadRun>> = [];
        // ABBA: pair p runs baseline then vault when p is even, vault then baseline when odd
        // (A B, B A, A B, ...), so a drift in machine speed lands on both servers alike and
        // each pair's two runs are neighbours in time.
        for (let p = 0; p < options.runsPerServer; p++) {
          const order = p % 2 === 0 ? [servers[0]!, servers[1]!] : [servers[1]!, servers[0]!];
          const pair: Partial<Record<'vault' | 'baseline', LoadRun>> = {};
          for (const server of order) {
            const quiet = await waitForQuiet(childPids, MAX_OTHER_CORES, MAX_QUIET_WAIT_MS);
            if (!quiet.quiet)
              log(
                `    ! machine busy (${quiet.otherCores} other cores) after waiting ${quiet.waitedMs} ms; measuring anyway`,
              );
            log(`  ${workload} ${server.name} ${connections} connections, ${options.durationSec}s (pair ${p + 1})`);
            const run = await runLoad({
              url: server.url,
              connections,
              durationSec: options.durationSec,
              requestFor: await workloads[workload][server.name](),
              serverCpuMs: server.cpuMs,
              childPids,
            });
            if (run.non2xx > 0 || run.errors > 0) log(`    ! ${run.non2xx} non-2xx, ${run.errors} errors`);
            pair[server.name] = run;
          }
          pairs.push(pair as Record<'vault' | 'baseline', LoadRun>);
        }
        results[workload].push(summarisePoint(connections, pairs));
      }
    }
    return {
      method: `autocannon in the parent process, each server in its own child process (tsx) with its dynalite in-process; closed loop, pipelining 1, ${options.durationSec} s per run after a ${options.warmupSec} s warm-up per server and workload; per point ${options.runsPerServer} runs per server in ABBA order (pairs baseline+vault, vault+baseline, ...), each run after waiting (<= 20 s) for other processes to use < 0.25 cores. Per pair: cpuPerRequestRatio = vault server CPU per request / baseline server CPU per request (process CPU user + system from ${cpuSource}, divided by responses), throughputRatio = vault 2xx/s / baseline 2xx/s. Reported: median and min..max of the per-pair ratios.`,
      cpuSource,
      durationSec: options.durationSec,
      warmupSec: options.warmupSec,
      runsPerServer: options.runsPerServer,
      ...results,
      notes: [
        'reads: one pre-written secret, every request the same pre-signed GET (hot data-key cache, as in steady state)',
        'writes: one path per connection (no optimistic-lock races), each replay of the pre-signed PUT writes a new version; past 10 versions (the default retention) each write also removes the oldest version item; informational: the baseline does one PutItem',
        'baseline: bare express 5, no auth/policy/crypto/validation; GET = one consistent GetItem of an item of the vault HEAD shape, PUT = one PutItem of that shape',
        'per server: rps, cpuUsPerRequest and latency p50/p99 are medians over its runs; p99Max is the worst run',
      ],
    };
  } finally {
    for (const child of children.reverse()) await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
