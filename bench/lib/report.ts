import type { BundleResults } from '../bundle';
import type { CryptoResults } from '../crypto-micro';
import type { HttpResults } from '../http-throughput';
import type { KmsCallResults } from '../kms-calls';

export interface BenchReport {
  date: string;
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  budgets: Record<string, { pass: boolean | null; detail: string }>;
  http?: HttpResults;
  kmsCalls?: KmsCallResults;
  crypto?: CryptoResults;
  lambdaBundle?: BundleResults;
}

const mark = (pass: boolean | null) => (pass === null ? 'n/a' : pass ? 'pass' : 'FAIL');
const n = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 1 });

/** The markdown summary: what a person pastes into the README. */
export function markdownTable(report: BenchReport): string {
  const lines: string[] = [];
  const cpus = report.machine.cpus as number;
  lines.push(
    `kms-vault bench, ${report.date.slice(0, 10)}, ${cpus} CPUs (${String(report.machine.cpuModel)}), Node ${String(report.machine.node)}`,
  );
  lines.push('');
  if (report.http) {
    lines.push(
      `| HTTP, loopback (2 x ${report.http.durationSec} s per server) | conns | vault req/s | p50 / p99 ms | baseline req/s | p50 / p99 ms | vault/baseline | server CPU µs/req, vault / baseline |`,
    );
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    const label = { read: 'GET secret', readDurable: 'GET secret, durable trail', write: 'PUT secret' };
    for (const workload of ['read', 'readDurable', 'write'] as const) {
      for (const p of report.http[workload] ?? []) {
        lines.push(
          `| ${label[workload]} | ${p.connections} | ${n(p.vault.rps)} | ${p.vault.latencyMs.p50} / ${p.vault.latencyMs.p99} | ${n(p.baseline.rps)} | ${p.baseline.latencyMs.p50} / ${p.baseline.latencyMs.p99} | ${p.ratio.toFixed(3)} | ${p.vault.serverCpuUsPerRequest ?? '-'} / ${p.baseline.serverCpuUsPerRequest ?? '-'} |`,
        );
      }
    }
    lines.push('');
  }
  lines.push('| budget | measured | limit | result |');
  lines.push('| --- | ---: | ---: | --- |');
  if (report.http)
    lines.push(
      `| read throughput vs bare express + GetItem | ${report.http.budget.worstReadRatio.toFixed(3)}x (worst) | >= ${report.http.budget.readRatioMin}x | ${mark(report.http.budget.pass)} |`,
    );
  if (report.kmsCalls) {
    const k = report.kmsCalls;
    lines.push(
      `| KMS Decrypts, ${k.hotReads} hot reads | ${k.cacheOn.hotSequentialDecrypts} (cache off: ${k.cacheOff.hotSequentialDecrypts}) | 1 | ${mark(k.cacheOn.hotSequentialDecrypts <= 1)} |`,
    );
    lines.push(
      `| KMS Decrypts, ${k.coldConcurrentReads} concurrent cold reads | ${k.cacheOn.coldConcurrentDecrypts} (cache off: ${k.cacheOff.coldConcurrentDecrypts}) | 1 | ${mark(k.cacheOn.coldConcurrentDecrypts <= 1)} |`,
    );
    const total = (d: Record<string, number>) => Object.values(d).reduce((a, b) => a + b, 0);
    const t = k.durableTrail;
    const calls = Object.entries(t.dynamoCallsPerRead)
      .map(([name, n]) => `${name} ${n.toFixed(3)}`)
      .join(', ');
    lines.push(
      `| durable trail, per read (info): DynamoDB calls / items written / GenerateMac | ${calls} / ${t.itemsWrittenPerRead.toFixed(3)} (+1 index entry each) / ${t.macsPerRead.toFixed(3)}; record ~${t.meanRecordBytes} B; vault CPU per record against a remote store ${t.remoteStoreCpuUsPerRecord} µs; describe ${t.describeMs.durable} ms (log mode ${t.describeMs.log} ms) | - | - |`,
    );
    lines.push(
      `| DynamoDB calls per write (create / update / past retention) | ${total(k.writes.dynamoCallsCreate)} / ${total(k.writes.dynamoCallsUpdate)} / ${total(k.writes.dynamoCallsAtRetention)} | 3 | ${mark(k.writes.pass)} |`,
    );
  }
  if (report.crypto) {
    const c = report.crypto;
    lines.push(
      `| envelope AES-GCM, 1 KiB seal+open with data key in hand | ${c.usPerOp.envelopeAes} µs (${c.ratioVsRaw.envelopeAes}x raw ${c.usPerOp.rawNodeCrypto} µs) | <= ${c.budget.maxRatioVsRaw}x raw | ${mark(c.budget.pass)} |`,
    );
    lines.push(
      `| full seal+open incl. local key wrap (info) | ${c.usPerOp.sealOpenLocalKeys} µs (${c.ratioVsRaw.sealOpenLocalKeys}x raw) | - | - |`,
    );
    lines.push(
      `| AWS Encryption SDK, raw AES keyring (info) | ${c.usPerOp.awsEncryptionSdk} µs (${c.ratioVsRaw.awsEncryptionSdk}x raw); no signature: ${c.usPerOp.awsEncryptionSdkNoSignature} µs | - | - |`,
    );
  }
  if (report.lambdaBundle) {
    const b = report.lambdaBundle;
    if (b.status === 'measured') {
      lines.push(
        `| Lambda bundle size | ${n(b.bundleBytes / 1024)} KiB | <= 1024 KiB | ${mark(b.budget.bundlePass)} |`,
      );
      lines.push(`| Lambda module init (median) | ${b.initMsMedian} ms | <= 150 ms | ${mark(b.budget.initPass)} |`);
    } else {
      lines.push(`| Lambda bundle size / init | not measured (${b.status}) | <= 1 MB / <= 150 ms | n/a |`);
    }
  }
  return lines.join('\n');
}
