import { formatDuration } from '../progress';
import type { SweepSummary } from './walk';

/** The closing report: counts, flagged keys with reasons, failures by code (paths only, never values). */
export function formatSweepSummary(summary: SweepSummary, where: string): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const state = summary.listError ? 'stopped' : summary.interrupted ? 'interrupted' : 'finished';
  const checked = summary.passed + summary.flagged.length + summary.failed.length;
  const lines = [
    `exchange-check ${state} after ${formatDuration(summary.elapsedMs)}: ${plural(checked, 'key')} checked ${where}`,
    `  passed:  ${plural(summary.passed, 'key')}`,
    `  flagged: ${plural(summary.flagged.length, 'key')}`,
  ];
  for (const { path, reasons } of summary.flagged.slice(0, 50)) lines.push(`    ${path}: ${reasons.join(', ')}`);
  if (summary.flagged.length > 50)
    lines.push(`    ... and ${summary.flagged.length - 50} more (list them with ?flagged=true)`);
  lines.push(`  failed:  ${plural(summary.failed.length, 'key')}`);
  const byReason = new Map<string, string[]>();
  for (const { path, reason } of summary.failed) byReason.set(reason, [...(byReason.get(reason) ?? []), path]);
  for (const [reason, paths] of byReason) {
    lines.push(`    ${reason}: ${plural(paths.length, 'key')}`);
    for (const path of paths.slice(0, 20)) lines.push(`      ${path}`);
  }
  if (summary.skipped > 0) lines.push(`  (${plural(summary.skipped, 'plain secret')} skipped)`);
  if (summary.listError) lines.push(`  listing failed (${summary.listError}); the walk stopped there.`);
  if (summary.interrupted || summary.failed.length > 0 || summary.listError) {
    lines.push('  rerun the same command to check again; every run records what each exchange said.');
  }
  return `${lines.join('\n')}\n`;
}
