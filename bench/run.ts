/**
 * `npm run bench`: the performance budget in DESIGN.md, measured. Prints one JSON object to
 * stdout and a markdown summary to stderr, and writes the JSON to bench/results/latest.json.
 *
 * Environment (all optional):
 *   BENCH_DURATION  seconds per HTTP load run (default 10)
 *   BENCH_WARMUP    seconds of untimed warm-up per server and workload (default 2)
 *   BENCH_ONLY      comma list of parts: crypto,kms,http,bundle (a partial run writes
 *                   bench/results/partial.json instead of latest.json)
 *   BENCH_WORKLOADS comma list of HTTP workloads: read,write (default both; fewer = partial run)
 *   BENCH_CONNECTIONS comma list of HTTP connection counts (default 16,64; others = partial run)
 *   BENCH_PROFILE   1 = write V8 CPU profiles of both servers to bench/results/profiles/{vault,baseline}/
 *
 * Parts run one after another, never overlapping, so none steals CPU from another.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { measureLambdaBundle } from './bundle';
import { measureCrypto } from './crypto-micro';
import { measureHttp } from './http-throughput';
import { measureKmsCalls } from './kms-calls';
import { waitForQuiet } from './lib/proc-cpu';
import { type BenchReport, markdownTable } from './lib/report';

const PARTS = ['crypto', 'kms', 'http', 'bundle'] as const;
const DEFAULT_CONNECTIONS = [16, 64];
const DEFAULT_DURATION_SEC = 10;
const DEFAULT_WARMUP_SEC = 2;
type Part = (typeof PARTS)[number];

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number of seconds, got '${raw}'`);
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

async function main(): Promise<void> {
  // The SDK's Node 20 end-of-support notice is not a benchmark result.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const parts = selectedParts();
  const workloads = selectedWorkloads();
  const connections = selectedConnections();
  const durationSec = positiveNumber('BENCH_DURATION', DEFAULT_DURATION_SEC);
  const warmupSec = positiveNumber('BENCH_WARMUP', DEFAULT_WARMUP_SEC);
  // Only a full run with every default writes latest.json: a quick run (BENCH_DURATION=3), a
  // part of the bench or a profiled run is a look, not the figures the README quotes.
  const deviations = [
    parts.size !== PARTS.length && 'BENCH_ONLY',
    workloads.length !== 2 && 'BENCH_WORKLOADS',
    connections.join() !== DEFAULT_CONNECTIONS.join() && 'BENCH_CONNECTIONS',
    durationSec !== DEFAULT_DURATION_SEC && 'BENCH_DURATION',
    warmupSec !== DEFAULT_WARMUP_SEC && 'BENCH_WARMUP',
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
    settings: { durationSec, warmupSec, connections, parts: [...parts], workloads, profile: Boolean(profileDir) },
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
    report.budgets.cryptoEnvelopeVsRaw = {
      pass: report.crypto.budget.pass,
      detail: `envelope AES with data key in hand ${report.crypto.ratioVsRaw.envelopeAes}x raw node:crypto (limit ${report.crypto.budget.maxRatioVsRaw}x)`,
    };
  }
  if (parts.has('kms')) {
    log('KMS-call counts (in process, dynalite)...');
    await settle('kms');
    report.kmsCalls = await measureKmsCalls();
    const k = report.kmsCalls;
    report.budgets.kmsDecryptsHotAndCold = {
      pass: k.cacheOn.pass,
      detail: `${k.cacheOn.hotSequentialDecrypts} decrypt(s) for ${k.hotReads} hot reads, ${k.cacheOn.coldConcurrentDecrypts} for ${k.coldConcurrentReads} concurrent cold reads (limit 1 and 1)`,
    };
    report.budgets.writeCalls = {
      pass: k.writes.pass,
      detail: `per write: ${k.writes.generateDataKeyPerWrite} GenerateDataKey, ${k.writes.decryptsPerWrite} Decrypt, DynamoDB ${JSON.stringify(k.writes.dynamoCallsAtRetention)} past retention (limit 1, 0, 3)`,
    };
  }
  if (parts.has('http')) {
    log(`HTTP throughput (${durationSec}s per run, warm-up ${warmupSec}s)...`);
    report.http = await measureHttp(
      { durationSec, warmupSec, connections, workloads, ...(profileDir && { profileDir }) },
      log,
    );
    report.budgets.httpReadRatio = {
      pass: report.http.budget.pass,
      detail: `worst read ratio vault/baseline ${report.http.budget.worstReadRatio} (limit >= ${report.http.budget.readRatioMin})`,
    };
  }
  if (parts.has('bundle')) {
    log('Lambda bundle (bench/lambda-bundle.ts, if present)...');
    await settle('bundle');
    report.lambdaBundle = await measureLambdaBundle();
    report.budgets.lambdaBundle =
      report.lambdaBundle.status === 'measured'
        ? {
            pass: report.lambdaBundle.budget.pass,
            detail: `${report.lambdaBundle.bundleBytes} bytes, init ${report.lambdaBundle.initMsMedian} ms median (limits 1 MiB, 150 ms)`,
          }
        : { pass: null, detail: report.lambdaBundle.note };
  }

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
