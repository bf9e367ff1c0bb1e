import type { ChainReport, Finding, FindingKind, VerifyReport } from '../../core/trail-verify';

const KINDS: FindingKind[] = [
  'altered',
  'removed',
  'forged-checkpoint',
  'removed-checkpoint',
  'truncated',
  'missing-chain',
  'unrecorded-change',
];
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const span = (from: number, to: number) => (from === to ? `${from}` : `${from}-${to}`);

function chainLines(chain: ChainReport): string[] {
  const lines = [
    `chain ${chain.chain}: ${plural(chain.records, 'record')} read, last seq ${chain.lastSeq}, ` +
      `${plural(chain.checkpoints, 'checkpoint')} verified, covered through seq ${chain.coveredThrough}`,
  ];
  if (chain.uncovered) {
    const u = chain.uncovered;
    lines.push(
      `  not yet covered: ${plural(u.records, 'record')} (seq ${span(u.fromSeq, u.toSeq)}) since ${u.since}; ` +
        'these could still be removed or changed unseen',
    );
  }
  if (chain.failedWrites.length > 0)
    lines.push(
      `  failed writes listed by checkpoints (their requests answered 503): seq ${chain.failedWrites.join(', ')}`,
    );
  if (chain.expired > 0) lines.push(`  expired (retention ran out): ${plural(chain.expired, 'record')}`);
  return lines;
}

/** Which numbers a finding's range counts: records' sequence numbers, or checkpoint numbers. */
const ON_CHECKPOINTS: ReadonlySet<FindingKind> = new Set([
  'forged-checkpoint',
  'removed-checkpoint',
  'truncated',
  'missing-chain',
]);

function findingLine(finding: Finding): string {
  if (finding.kind === 'unrecorded-change') return `  UNRECORDED-CHANGE: ${finding.detail}`;
  const unit = ON_CHECKPOINTS.has(finding.kind) ? 'checkpoint' : 'seq';
  return `  ${finding.kind.toUpperCase()} chain ${finding.chain} ${unit} ${span(finding.from, finding.to)}: ${finding.detail}`;
}

/** The report a person reads: one block per chain, then every finding, then the counts. */
export function formatVerifyReport(report: VerifyReport, where: string): string {
  const lines: string[] = [];
  if (report.path) lines.push(`${plural(report.path.records, 'record')} of ${report.path.path}`);
  for (const chain of report.chains) lines.push(...chainLines(chain));
  const records = report.chains.reduce((n, c) => n + c.records, 0);
  const uncovered = report.chains.filter((c) => c.uncovered);
  lines.push('');
  lines.push(
    `audit verify ${report.interrupted ? 'interrupted' : 'finished'}: ${plural(report.chains.length, 'chain')}, ` +
      `${plural(records, 'record')} ${where}`,
  );
  if (report.findings.length === 0) lines.push('  no record altered or removed, no checkpoint forged or removed');
  else {
    const counts = KINDS.map((kind) => [kind, report.findings.filter((f) => f.kind === kind).length] as const).filter(
      ([, n]) => n > 0,
    );
    lines.push(`  FINDINGS: ${counts.map(([kind, n]) => `${kind} ${n}`).join(', ')}`);
    for (const finding of report.findings) lines.push(findingLine(finding));
  }
  if (uncovered.length > 0)
    lines.push(
      `  ${plural(uncovered.length, 'chain')} with a tail no checkpoint covers yet ` +
        `(${uncovered.reduce((n, c) => n + c.uncovered!.records, 0)} records): a live process's next checkpoint covers it; ` +
        "a process that ended without one (a crash, a Lambda container's last minutes) never will",
    );
  return `${lines.join('\n')}\n`;
}
