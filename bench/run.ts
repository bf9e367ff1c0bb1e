/**
 * `npm run bench`: the performance budgets, measured, each with a verdict (pass, fail or
 * inconclusive; see lib/verdict.ts and bench/README.md). Prints one JSON object to stdout and a
 * markdown summary to stderr. A full run with every setting at its default writes the JSON to
 * bench/results/latest.json; any other run (quick, partial, profiled) to results/partial.json.
 *
 * Environment (all optional; any of them set to a non-default value makes a partial run):
 *   BENCH_DURATION    seconds per timed HTTP load run (default 10)
 *   BENCH_WARMUP      seconds of untimed warm-up per server and workload (default 2)
 *   BENCH_RUNS        timed runs per server and HTTP point, ABBA order (default 3, at least 3)
 *   BENCH_ONLY        comma list of parts: crypto,kms,bundle,http,trail
 *   BENCH_WORKLOADS   comma list of HTTP workloads: read,write (default both)
 *   BENCH_CONNECTIONS comma list of HTTP connection counts (default 16,64)
 *   BENCH_PROFILE     1 = write V8 CPU profiles of both servers to bench/results/profiles/{vault,baseline}/
 *
 * Parts run one after another, never overlapping, so none steals CPU from another.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_BYTES_BUDGET, INIT_MS_BUDGET, measureLambdaBundle } from './bundle';
import { CRYPTO_BUDGET_RATIO, measureCrypto } from './crypto-micro';
import {
  childEnv,
  measureHttp,
  READ_CPU_RATIO_BUDGET,
  READ_THROUGHPUT_CONNECTIONS,
  READ_THROUGHPUT_RATIO_BUDGET,
  type WorkloadPoint,
} from './http-throughput';
import { measureKmsCalls } from './kms-calls';
import { waitForQuiet } from './lib/proc-cpu';
import { type BenchReport, markdownTable, type PointSummary } from './lib/report';
import { type BudgetLine, exactBudget, notMeasured, spreadBudget } from './lib/verdict';
import { measureWriteCalls, type StageCalls, WRITE_BUDGET } from './write-calls';

const PARTS = ['crypto', 'kms', 'bundle', 'http', 'trail'] as const;
const DEFAULT_CONNECTIONS = [16, 64];
const DEFAULT_DURATION_SEC = 10;
const DEFAULT_WARMUP_SEC = 2;
const DEFAULT_RUNS = 3;
type Part = (typeof PARTS)[number];

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number of seconds, got '${raw}'`);
  return value;
}

function runsPerServer(): number {
  const raw = process.env.BENCH_RUNS;
  if (raw === undefined || raw === '') return DEFAULT_RUNS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 3 || value > 20)
    throw new Error(
      `BENCH_RUNS must be an integer from 3 to 20 (a verdict needs at least 3 runs per server), got '${raw}'`,
    );
  return value;
}

function selectedParts(): Set<Part> {
  const raw = process.env.BENCH_ONLY;
  if (!raw) return new Set(PARTS);
  const parts = raw.split(',').map((p) => p.trim());
  const unknown = parts.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0)
    throw new Error(`BENCH_ONLY: unknown part(s) ${unknown.join(', ')}; choose from ${PARTS.join(', ')}`);
  return new Set(parts as Part[]);
}

function selectedWorkloads(): Array<'read' | 'write'> {
  const raw = process.env.BENCH_WORKLOADS;
  if (!raw) return ['read', 'write'];
  const list = raw.split(',').map((w) => w.trim());
  if (list.length === 0 || list.some((w) => w !== 'read' && w !== 'write'))
    throw new Error(`BENCH_WORKLOADS: choose from read, write; got '${raw}'`);
  return list as Array<'read' | 'write'>;
}

function selectedConnections(): number[] {
  const raw = process.env.BENCH_CONNECTIONS;
  if (!raw) return [...DEFAULT_CONNECTIONS];
  const list = raw.split(',').map((c) => Number(c.trim()));
  if (list.length === 0 || list.some((c) => !Number.isInteger(c) || c < 1 || c > 1024))
    throw new Error(`BENCH_CONNECTIONS: integers 1-1024, got '${raw}'`);
  return list;
}

function gitCommit(): string | undefined {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: __dirname,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '../src'], {
      cwd: __dirname,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return dirty ? `${sha} (src/ modified)` : sha;
  } catch {
    return undefined;
  }
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Throughput, latency and CPU beside a read budget's figure. */
function pointDetail(p: WorkloadPoint): string {
  const ratio = (s: { median: number; min: number; max: number } | undefined) =>
    s ? `${s.median} (${s.min}..${s.max})` : '-';
  return `CPU ${p.vault.cpuUsPerRequest ?? '-'} vs ${p.baseline.cpuUsPerRequest ?? '-'} µs/request (ratio ${ratio(p.cpuPerRequestRatio)}); throughput ${p.vault.rps} vs ${p.baseline.rps} req/s (ratio ${ratio(p.throughputRatio)}); p50/p99 ${p.vault.latencyMs.p50}/${p.vault.latencyMs.p99} vs ${p.baseline.latencyMs.p50}/${p.baseline.latencyMs.p99} ms`;
}

/**
 * A read point where either server answered anything but 2xx (or a connection failed) is not
 * a measurement of reads: a cheap error would flatter the ratio. Its budget fails, naming why.
 */
function withFailedRequests(line: BudgetLine, p: WorkloadPoint): BudgetLine {
  const failed = p.vault.non2xx + p.vault.errors + p.baseline.non2xx + p.baseline.errors;
  if (failed === 0) return line;
  return {
    ...line,
    verdict: 'fail',
    detail: `${failed} requests failed (vault ${p.vault.non2xx} non-2xx, ${p.vault.errors} errors; baseline ${p.baseline.non2xx} non-2xx, ${p.baseline.errors} errors); ${line.detail ?? ''}`,
  };
}

/** One HTTP point as the summary shows it: both ratios, and per server CPU, rate and latency. */
function pointSummary(p: WorkloadPoint): PointSummary {
  const server = (s: WorkloadPoint['vault']) => ({
    cpuUsPerRequest: s.cpuUsPerRequest,
    rps: s.rps,
    p50Ms: s.latencyMs.p50,
    p99Ms: s.latencyMs.p99,
  });
  return {
    connections: p.connections,
    cpuPerRequestRatio: p.cpuPerRequestRatio,
    throughputRatio: p.throughputRatio,
    vault: server(p.vault),
    baseline: server(p.baseline),
  };
}

function stageSummary(stage: StageCalls) {
  return {
    dynamodb: stage.total.dynamodb,
    trail: stage.total.trail,
    kms: stage.total.kms,
    dynamodbOnCallerPath: stage.onCallerPath.dynamodbTotal,
  };
}

async function main(): Promise<void> {
  // The SDK's Node 20 end-of-support notice is not a benchmark result.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const parts = selectedParts();
  const workloads = selectedWorkloads();
  const connections = selectedConnections();
  const durationSec = positiveNumber('BENCH_DURATION', DEFAULT_DURATION_SEC);
  const warmupSec = positiveNumber('BENCH_WARMUP', DEFAULT_WARMUP_SEC);
  const runs = runsPerServer();
  // Only a full run with every default writes latest.json: a quick run (BENCH_DURATION=3), a
  // part of the bench or a profiled run is a look, not the figures the README quotes.
  const deviations = [
    parts.size !== PARTS.length && 'BENCH_ONLY',
    workloads.join() !== 'read,write' && 'BENCH_WORKLOADS',
    connections.join() !== DEFAULT_CONNECTIONS.join() && 'BENCH_CONNECTIONS',
    durationSec !== DEFAULT_DURATION_SEC && 'BENCH_DURATION',
    warmupSec !== DEFAULT_WARMUP_SEC && 'BENCH_WARMUP',
    runs !== DEFAULT_RUNS && 'BENCH_RUNS',
    process.env.BENCH_PROFILE === '1' && 'BENCH_PROFILE',
  ].filter((d): d is string => typeof d === 'string');
  const complete = deviations.length === 0;
  const resultsDir = join(__dirname, 'results');
  const profileDir = process.env.BENCH_PROFILE === '1' ? join(resultsDir, 'profiles') : undefined;
  mkdirSync(resultsDir, { recursive: true });
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  const cpuList = cpus();
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
      node: process.version,
      v8: process.versions.v8,
      openssl: process.versions.openssl,
      platform: `${platform()} ${release()} ${arch()}`,
      totalMemMiB: Math.round(totalmem() / 1024 / 1024),
      loadAvgAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
      commit: gitCommit(),
    },
    settings: {
      durationSec,
      warmupSec,
      runsPerServer: runs,
      connections,
      parts: [...parts],
      workloads,
      profile: Boolean(profileDir),
      fullDefaultRun: complete,
    },
    summary: {},
    budgets: {},
  };

  // Before each part, a bounded wait for other processes on the machine to go quiet.
  const quiet: Record<string, { waitedMs: number; otherCores?: number; quiet: boolean }> = {};
  report.settings.quietBeforePart = quiet;
  const settle = async (part: Part) => {
    quiet[part] = await waitForQuiet([], 0.25, 20_000);
    if (!quiet[part].quiet) log(`  ! machine busy (${quiet[part].otherCores} other cores); measuring ${part} anyway`);
  };

  if (parts.has('crypto')) {
    log('crypto micro-bench (1 KiB, encrypt + decrypt)...');
    await settle('crypto');
    report.crypto = await measureCrypto();
    const c = report.crypto;
    report.budgets.cryptoEnvelopeVsRaw = spreadBudget(
      'envelope AES-GCM, 1 KiB seal+open with the data key in hand, vs raw node:crypto',
      c.envelopeRatio,
      CRYPTO_BUDGET_RATIO,
      'max',
      'x',
      `${c.usPerOp.envelopeAes} µs vs ${c.usPerOp.rawNodeCrypto} µs`,
    );
  }
  if (parts.has('kms')) {
    log('KMS-call counts for reads (in process, dynalite)...');
    await settle('kms');
    report.kmsCalls = await measureKmsCalls();
    const k = report.kmsCalls;
    report.budgets.kmsDecryptsHotReads = exactBudget(
      `KMS Decrypts for ${k.hotReads} sequential hot reads of one secret`,
      k.cacheOn.hotSequentialDecrypts,
      1,
      'max',
      '',
      `cache off: ${k.cacheOff.hotSequentialDecrypts}`,
    );
    report.budgets.kmsDecryptsColdReads = exactBudget(
      `KMS Decrypts for ${k.coldConcurrentReads} concurrent cold reads of one secret`,
      k.cacheOn.coldConcurrentDecrypts,
      1,
      'max',
      '',
      `cache off: ${k.cacheOff.coldConcurrentDecrypts}`,
    );
    log('calls per write, through the server...');
    report.writeCalls = await measureWriteCalls(childEnv(), log);
    const w = report.writeCalls;
    const perStage = (['create', 'update', 'pastRetention'] as const)
      .map(
        (s) =>
          `${s} ${w.stages[s].total.dynamodbTotal} (${w.stages[s].onCallerPath.dynamodbTotal} on the caller's path; access trail +${w.stages[s].total.trailTotal})`,
      )
      .join(', ');
    report.budgets.writeDynamoCalls = exactBudget(
      "DynamoDB calls per write on the secrets table, worst stage (on the caller's path or after)",
      w.budget.worstDynamoCalls,
      WRITE_BUDGET.maxDynamoCalls,
      'max',
      '',
      perStage,
    );
    report.budgets.writeGenerateDataKey = exactBudget(
      'KMS GenerateDataKey per write, worst stage',
      w.budget.worstGenerateDataKey,
      WRITE_BUDGET.generateDataKey,
      'max',
      '',
    );
    report.budgets.writeDecrypt = exactBudget(
      'KMS Decrypt per write, worst stage',
      w.budget.worstDecrypt,
      WRITE_BUDGET.decrypt,
      'max',
      '',
    );
    report.summary.callsPerWrite = {
      create: stageSummary(w.stages.create),
      update: stageSummary(w.stages.update),
      pastRetention: stageSummary(w.stages.pastRetention),
    };
  }
  if (parts.has('bundle')) {
    log('Lambda bundle: size, init, cold first request, warm reads...');
    await settle('bundle');
    report.lambdaBundle = await measureLambdaBundle(log);
    const b = report.lambdaBundle;
    report.budgets.lambdaBundleSize = exactBudget(
      'Lambda bundle size',
      b.bundleKiB,
      BUNDLE_BYTES_BUDGET / 1024,
      'max',
      'KiB',
      `${b.bundleBytes} bytes`,
    );
    report.budgets.lambdaInit = spreadBudget(
      `Lambda module init, median of ${b.initMs.values.length} fresh processes`,
      b.initMs,
      INIT_MS_BUDGET,
      'max',
      'ms',
      `cold first request (init + a read with KMS at +${b.kmsDelayMs} ms) ${b.coldFirstRequestMs.median} ms; ${b.warmReads.count} warm reads p99 ${b.warmReads.p99} ms`,
    );
    report.summary.lambda = {
      bundleKiB: b.bundleKiB,
      initMsMedian: b.initMs.median,
      coldFirstRequestMsMedian: b.coldFirstRequestMs.median,
      warmReadP50Ms: b.warmReads.p50,
      warmReadP99Ms: b.warmReads.p99,
    };
  }
  if (parts.has('http')) {
    log(`HTTP (${runs} runs x ${durationSec}s per server and point, ABBA; warm-up ${warmupSec}s)...`);
    report.http = await measureHttp(
      { durationSec, warmupSec, connections, runsPerServer: runs, workloads, ...(profileDir && { profileDir }) },
      log,
    );
    const reads = report.http.read;
    const at = (c: number) => reads.find((p) => p.connections === c);
    for (const c of [16, 64]) {
      const point = at(c);
      const name = `reads, server CPU per request vs baseline, ${c} connections`;
      report.budgets[`readCpuPerRequest${c}`] = point?.cpuPerRequestRatio
        ? withFailedRequests(
            spreadBudget(name, point.cpuPerRequestRatio, READ_CPU_RATIO_BUDGET, 'max', 'x', pointDetail(point)),
            point,
          )
        : notMeasured(name, `<= ${READ_CPU_RATIO_BUDGET}`, 'x', 'not in this run');
    }
    const point = at(READ_THROUGHPUT_CONNECTIONS);
    const name = `reads, throughput vs baseline, ${READ_THROUGHPUT_CONNECTIONS} connections`;
    report.budgets[`readThroughput${READ_THROUGHPUT_CONNECTIONS}`] = point?.throughputRatio
      ? withFailedRequests(
          spreadBudget(name, point.throughputRatio, READ_THROUGHPUT_RATIO_BUDGET, 'min', 'x', pointDetail(point)),
          point,
        )
      : notMeasured(name, `>= ${READ_THROUGHPUT_RATIO_BUDGET}`, 'x', 'not in this run');
    report.summary.reads = reads.map(pointSummary);
  }

  if (parts.has('trail')) {
    // The same reads with the durable access trail on (each read also writes one record),
    // against a baseline measured in the same run: what the trail costs per read.
    log(`Reads with the durable access trail (${runs} runs x ${durationSec}s per server and point, ABBA)...`);
    const trail = await measureHttp(
      {
        durationSec,
        warmupSec,
        connections,
        runsPerServer: runs,
        workloads: ['read'],
        vaultEnv: { VAULT_AUDIT: 'durable' },
      },
      log,
    );
    report.trail = trail;
    report.summary.readsWithDurableTrail = trail.read.map(pointSummary);
  }

  // Parts run cheapest first; the report reads best with the headline figures first.
  const order = <T extends object>(record: T, first: string[]): T => {
    const keys = [...first.filter((k) => k in record), ...Object.keys(record).filter((k) => !first.includes(k))];
    return Object.fromEntries(keys.map((k) => [k, record[k as keyof T]])) as T;
  };
  report.summary = order(report.summary, ['reads', 'lambda', 'callsPerWrite']);
  report.budgets = order(report.budgets, [
    'readCpuPerRequest16',
    'readCpuPerRequest64',
    'readThroughput16',
    'lambdaBundleSize',
    'lambdaInit',
  ]);
  report.machine.loadAvgAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);
  const json = JSON.stringify(report, null, 2);
  const file = join(resultsDir, complete ? 'latest.json' : 'partial.json');
  writeFileSync(file, `${json}\n`);
  process.stdout.write(`${json}\n`);
  log('');
  log(markdownTable(report));
  log('');
  log(`written to ${file}${complete ? '' : ` (not a full default run: ${deviations.join(', ')} set)`}`);
}

main().then(
  // Exit explicitly: a stray keep-alive socket must not hold the bench open.
  () => process.exit(0),
  (error: Error) => {
    log(`bench failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
