/**
 * (a) HTTP throughput: the embedded vault against a bare express route doing the same storage
 * round trip, both on loopback, same machine, same run.
 *
 * Process layout, and why: the box has 2 cores. autocannon is itself CPU-hungry (it parses
 * every response in JS), so running it in the same process as a server would make the two
 * share one event loop and the measured server would be throttled by its own load generator.
 * Instead each server runs in its own child process (started with tsx, like `npm start`), with
 * its dynalite inside it exactly as in embedded mode, and autocannon runs here in the parent.
 * Vault and baseline are measured the same way: same child layout, same load generator, same
 * connection counts, one after the other (never at the same time), reads before writes (both
 * servers' stores grow during writes). Each (server, workload) gets an untimed warm-up first;
 * each point is timed twice per server in ABBA order, each run after a bounded wait for the
 * rest of the machine to go quiet, so drift and other people's work hit both servers alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerChild, startChild } from './lib/child';
import { combineRuns, type LoadResult, type LoadRun, runLoad } from './lib/load';
import { waitForQuiet } from './lib/proc-cpu';
import { type PresignedRequest, presign, send } from './lib/sign';
import { PUT_BODY, READ_PATH, SECRET_VALUE, writePath } from './lib/workload';
import type { BaselineServerInfo } from './servers/baseline-server';
import type { VaultServerInfo } from './servers/vault-server';

export const READ_RATIO_BUDGET = 0.8;
/** Before each timed run, wait (at most MAX_QUIET_WAIT_MS) until other processes use less than this. */
const MAX_OTHER_CORES = 0.25;
const MAX_QUIET_WAIT_MS = 20_000;

export interface HttpOptions {
  durationSec: number;
  warmupSec: number;
  connections: number[];
  /** Which workloads to run (both by default); reads alone make a cleaner profile. */
  workloads?: Array<'read' | 'write'>;
  /** Directory for V8 CPU profiles of both server children (`--cpu-prof`), or undefined for none. */
  profileDir?: string;
}

export interface WorkloadPair {
  connections: number;
  vault: LoadResult;
  baseline: LoadResult;
  /** vault rps / baseline rps. */
  ratio: number;
}

export interface HttpResults {
  method: string;
  durationSec: number;
  warmupSec: number;
  read: WorkloadPair[];
  /** The same reads from a second vault with the durable access trail on (VAULT_AUDIT=durable), against the same baseline runs. */
  readDurable: WorkloadPair[];
  write: WorkloadPair[];
  budget: { readRatioMin: number; worstReadRatio: number; pass: boolean };
  notes: string[];
}

/** Only what the children need: a stray VAULT_* in the caller's shell would change the vault under test. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
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
    const baseline = await startChild<BaselineServerInfo>(
      join(__dirname, 'servers', 'baseline-server.ts'),
      childEnv({ BENCH_DATA_DIR: join(dataDir, 'baseline') }),
      profileArgs('baseline'),
    );
    children.push(baseline);
    const vault = await startChild<VaultServerInfo>(
      join(__dirname, 'servers', 'vault-server.ts'),
      childEnv({ VAULT_DATA_DIR: join(dataDir, 'vault'), PORT: '0', AWS_REGION: 'us-east-1' }),
      profileArgs('vault'),
    );
    children.push(vault);
    // The same vault with the durable access trail in its embedded store: reads only.
    const measuresReads = (options.workloads ?? ['read']).includes('read');
    const durable = measuresReads
      ? await startChild<VaultServerInfo>(
          join(__dirname, 'servers', 'vault-server.ts'),
          childEnv({
            VAULT_DATA_DIR: join(dataDir, 'vault-durable'),
            PORT: '0',
            AWS_REGION: 'us-east-1',
            VAULT_AUDIT: 'durable',
          }),
          profileArgs('vault-durable'),
        )
      : undefined;
    if (durable) children.push(durable);
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
    const signDurable = durable
      ? (method: 'GET' | 'PUT', path: string, body?: string) =>
          presign(durable.info.url, durable.info.credential, durable.info.region, method, path, body)
      : undefined;
    if (durable && signDurable)
      await expectOk(
        durable.info.url,
        await signDurable('PUT', `/v1/secrets/${READ_PATH}`, PUT_BODY),
        'seeding the durable vault',
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
        durable: async () => {
          const req = await signDurable!('GET', `/v1/secrets/${READ_PATH}`);
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
    const requestsFor = (workload: 'read' | 'write', server: 'baseline' | 'vault' | 'durable') =>
      server === 'durable' ? workloads.read.durable() : workloads[workload][server]();
    const servers = [
      { name: 'baseline' as const, url: baselineUrl, pid: baseline.pid },
      { name: 'vault' as const, url: vaultUrl, pid: vault.pid },
    ];
    const durableServer = durable && { name: 'durable' as const, url: durable.info.url, pid: durable.pid };

    const childPids = [baseline.pid, vault.pid, ...(durable ? [durable.pid] : [])];
    const results: { read: WorkloadPair[]; readDurable: WorkloadPair[]; write: WorkloadPair[] } = {
      read: [],
      readDurable: [],
      write: [],
    };
    for (const workload of options.workloads ?? (['read', 'write'] as const)) {
      // Reads: baseline, vault, vault with the durable trail, in ABCCBA order against one baseline.
      const measured = workload === 'read' && durableServer ? [...servers, durableServer] : servers;
      for (const server of measured) {
        log(`  warm-up ${workload} ${server.name} (${options.warmupSec}s, ${maxConnections} connections)`);
        await runLoad({
          url: server.url,
          connections: maxConnections,
          durationSec: options.warmupSec,
          requestFor: await requestsFor(workload, server.name),
          childPids,
        });
      }
      for (const connections of options.connections) {
        const runs: Record<'vault' | 'baseline' | 'durable', LoadRun[]> = { vault: [], baseline: [], durable: [] };
        // ABBA (ABCCBA with the durable vault): drift and other work on the machine fall on every server alike.
        for (const server of [...measured, ...[...measured].reverse()]) {
          const quiet = await waitForQuiet(childPids, MAX_OTHER_CORES, MAX_QUIET_WAIT_MS);
          if (!quiet.quiet)
            log(
              `    ! machine busy (${quiet.otherCores} other cores) after waiting ${quiet.waitedMs} ms; measuring anyway`,
            );
          log(`  ${workload} ${server.name} ${connections} connections, ${options.durationSec}s`);
          const run = await runLoad({
            url: server.url,
            connections,
            durationSec: options.durationSec,
            requestFor: await requestsFor(workload, server.name),
            serverPid: server.pid,
            childPids,
          });
          if (run.non2xx > 0 || run.errors > 0) log(`    ! ${run.non2xx} non-2xx, ${run.errors} errors`);
          runs[server.name].push(run);
        }
        const pair = { vault: combineRuns(connections, runs.vault), baseline: combineRuns(connections, runs.baseline) };
        results[workload].push({
          connections,
          ...pair,
          ratio: Math.round((pair.vault.rps / pair.baseline.rps) * 1000) / 1000,
        });
        if (runs.durable.length > 0) {
          const withTrail = combineRuns(connections, runs.durable);
          results.readDurable.push({
            connections,
            vault: withTrail,
            baseline: pair.baseline,
            ratio: Math.round((withTrail.rps / pair.baseline.rps) * 1000) / 1000,
          });
        }
      }
    }
    const worstReadRatio = results.read.length > 0 ? Math.min(...results.read.map((p) => p.ratio)) : Number.NaN;
    return {
      method:
        'autocannon in the parent process, each server in its own child process (tsx) with its dynalite in-process; closed loop, pipelining 1; per point 2 timed runs per server in ABBA order (baseline, vault, vault, baseline), each after waiting for other processes to use < 0.25 cores; rps = 2xx responses over both runs / seconds; latency ms: p50 and mean = median of runs, p99 = worst run; serverCpuUsPerRequest from /proc of the server process; otherCpuCores = CPU used by unrelated processes during a run',
      durationSec: options.durationSec,
      warmupSec: options.warmupSec,
      ...results,
      budget: {
        readRatioMin: READ_RATIO_BUDGET,
        worstReadRatio,
        pass: results.read.length > 0 && worstReadRatio >= READ_RATIO_BUDGET,
      },
      notes: [
        'reads: one pre-written secret, every request the same pre-signed GET (hot data-key cache, as in steady state)',
        'readDurable: the same reads from a second embedded vault with VAULT_AUDIT=durable (each read also writes one record, with its index entry, to the trail table in the same dynalite), against the same baseline runs',
        'writes: one path per connection (no optimistic-lock races), each replay of the pre-signed PUT writes a new version; past 10 versions (the default retention) each write also removes the oldest version item',
        'baseline: bare express 5, no auth/policy/crypto/validation; GET = one consistent GetItem of an item of the vault HEAD shape, PUT = one PutItem of that shape',
      ],
    };
  } finally {
    for (const child of children.reverse()) await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
