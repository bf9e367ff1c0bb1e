import type { BundleResults } from '../bundle';
import type { CryptoResults } from '../crypto-micro';
import type { HttpResults, WorkloadPoint } from '../http-throughput';
import type { KmsCallResults } from '../kms-calls';
import type { StageCalls, WriteCallResults } from '../write-calls';
import type { BudgetLine, Spread } from './verdict';

/** One HTTP point in the summary. */
export interface PointSummary {
  connections: number;
  cpuPerRequestRatio?: Spread | undefined;
  throughputRatio?: Spread | undefined;
  vault: ServerPointSummary;
  baseline: ServerPointSummary;
}

interface ServerPointSummary {
  cpuUsPerRequest?: number | undefined;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

/** The figures the verdicts rest on, in one place at the top of the JSON. */
export interface Summary {
  reads?: PointSummary[];
  /** The same reads with the durable access trail on (VAULT_AUDIT=durable), against their own baseline. */
  readsWithDurableTrail?: PointSummary[];
  lambda?: {
    bundleKiB: number;
    initMsMedian: number;
    coldFirstRequestMsMedian: number;
    warmReadP99Ms: number;
    warmReadP50Ms: number;
  };
  callsPerWrite?: Record<
    'create' | 'update' | 'pastRetention',
    {
      dynamodb: Record<string, number>;
      trail: Record<string, number>;
      kms: Record<string, number>;
      dynamodbOnCallerPath: number;
    }
  >;
}

export interface BenchReport {
  date: string;
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  summary: Summary;
  budgets: Record<string, BudgetLine>;
  http?: HttpResults;
  /** HTTP reads with the durable access trail on. */
  trail?: HttpResults;
  kmsCalls?: KmsCallResults;
  writeCalls?: WriteCallResults;
  crypto?: CryptoResults;
  lambdaBundle?: BundleResults;
}

const n = (x: number, digits = 1) => x.toLocaleString('en-US', { maximumFractionDigits: digits });
const spread = (s: Spread | undefined, digits = 3) =>
  s ? `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}..${s.max.toFixed(digits)})` : '-';
const mark = (line: BudgetLine) => (line.verdict === 'fail' ? 'FAIL' : line.verdict);

function httpRows(label: string, points: WorkloadPoint[]): string[] {
  return points.map((p) => {
    const other = Math.max(p.vault.otherCpuCoresMax ?? 0, p.baseline.otherCpuCoresMax ?? 0);
    const failed = p.vault.non2xx + p.vault.errors + p.baseline.non2xx + p.baseline.errors;
    return `| ${label}${failed > 0 ? ` (${failed} FAILED requests)` : ''} | ${p.connections} | ${spread(p.cpuPerRequestRatio)} | ${p.vault.cpuUsPerRequest ?? '-'} / ${p.baseline.cpuUsPerRequest ?? '-'} | ${spread(p.throughputRatio)} | ${n(p.vault.rps)} | ${p.vault.latencyMs.p50} / ${p.vault.latencyMs.p99} | ${n(p.baseline.rps)} | ${p.baseline.latencyMs.p50} / ${p.baseline.latencyMs.p99} | ${other}${other > 0.3 ? ' (noisy)' : ''} |`;
  });
}

const ops = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([op, count]) => `${count} ${op}`)
    .join(' + ') || '0';

function callRow(label: string, stage: StageCalls): string {
  return `| ${label} | ${ops(stage.total.dynamodb)} | ${stage.onCallerPath.dynamodbTotal} / ${stage.total.dynamodbTotal} | ${ops(stage.total.trail)} | ${ops(stage.total.kms)} |`;
}

/** The markdown summary: what a person pastes into the README. */
export function markdownTable(report: BenchReport): string {
  const lines: string[] = [];
  const m = report.machine;
  lines.push(
    `kms-vault bench, ${report.date.slice(0, 10)}, ${String(m.cpus)} CPUs (${String(m.cpuModel)}), Node ${String(m.node)}, commit ${String(m.commit ?? '?')}`,
  );
  lines.push('');
  if (report.http) {
    const h = report.http;
    lines.push(
      `HTTP on loopback, ${h.runsPerServer} runs x ${h.durationSec} s per server and point, ABBA order. Ratios are vault / baseline per adjacent pair of runs: median (min..max). Per server: medians over its runs.`,
    );
    lines.push('');
    lines.push(
      '| workload | conns | CPU per request ratio | server CPU µs/req, vault / baseline | throughput ratio | vault req/s | p50 / p99 ms | baseline req/s | p50 / p99 ms | other processes, cores (worst run) |',
    );
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    lines.push(...httpRows('GET secret', h.read), ...httpRows('PUT secret (info)', h.write));
    if (report.trail) lines.push(...httpRows('GET secret, durable access trail (info)', report.trail.read));
    lines.push('');
  }
  if (report.writeCalls) {
    const w = report.writeCalls;
    lines.push('Calls per request through the server (AWS mode on dynalite + fake KMS), counted on the wire:');
    lines.push('');
    lines.push(
      "| request | DynamoDB calls, secrets table | secrets table on the caller's path / total | access trail table | KMS calls |",
    );
    lines.push('| --- | --- | ---: | --- | --- |');
    lines.push(callRow('PUT, create', w.stages.create));
    lines.push(callRow('PUT, update', w.stages.update));
    lines.push(callRow(`PUT, past retention (${w.maxVersions} versions)`, w.stages.pastRetention));
    lines.push(callRow('GET, hot data-key cache', w.stages.hotRead));
    lines.push('');
  }
  if (report.lambdaBundle) {
    const b = report.lambdaBundle;
    lines.push(
      `Lambda bundle: ${n(b.bundleKiB)} KiB; init ${b.initMs.median} ms, cold first request (init + a read with KMS Decrypt at +${b.kmsDelayMs} ms) ${b.coldFirstRequestMs.median} ms (medians of ${b.initMs.values.length} fresh processes); ${b.warmReads.count} warm reads p50 ${b.warmReads.p50} ms, p99 ${b.warmReads.p99} ms. Largest inputs: ${b.largestInputs
        .slice(0, 5)
        .map((i) => `${i.input} ${n(i.KiB)} KiB`)
        .join(', ')}.`,
    );
    lines.push('');
  }
  if (report.crypto) {
    const c = report.crypto;
    lines.push(
      `Crypto, 1 KiB encrypt + decrypt: raw node:crypto ${c.usPerOp.rawNodeCrypto} µs, envelope AES ${c.usPerOp.envelopeAes} µs, full seal+open with local key wrap ${c.usPerOp.sealOpenLocalKeys} µs (${c.ratioVsRaw.sealOpenLocalKeys}x, info), AWS Encryption SDK ${n(c.usPerOp.awsEncryptionSdk)} µs (${n(c.ratioVsRaw.awsEncryptionSdk)}x; without its signature ${n(c.usPerOp.awsEncryptionSdkNoSignature)} µs, info).`,
    );
    lines.push('');
  }
  lines.push('| budget | measured (median) | spread | limit | verdict |');
  lines.push('| --- | ---: | ---: | ---: | --- |');
  for (const line of Object.values(report.budgets)) {
    const measured = line.measured === null ? '-' : `${n(line.measured, 3)}${line.unit ? ` ${line.unit}` : ''}`;
    const range = line.spread ? `${line.spread.min}..${line.spread.max} (${line.spread.kind})` : 'exact';
    lines.push(`| ${line.name} | ${measured} | ${range} | ${line.limit} | ${mark(line)} |`);
  }
  lines.push('');
  lines.push(
    "Verdict: pass or fail on the median, inconclusive when the spread is wider than the median's distance to the limit (a rerun could land on the other side).",
  );
  return lines.join('\n');
}
