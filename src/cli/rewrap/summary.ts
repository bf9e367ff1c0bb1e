import { formatDuration } from '../progress';
import type { RewrapSummary } from './walk';

/** The closing report: counts, failures grouped by reason (paths are metadata, never values), what to do next. */
export function formatSummary(summary: RewrapSummary, context: { where: string; principal: string }): string {
  const lines: string[] = [];
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const state = summary.listError ? 'stopped' : summary.interrupted ? 'interrupted' : 'finished';
  lines.push(
    `rewrap ${state} after ${formatDuration(summary.elapsedMs)}: ${plural(summary.secrets, 'secret')} processed ${context.where}` +
      (summary.keyId ? `; current key ${summary.keyId}` : ''),
  );
  lines.push(
    `  rewrapped: ${plural(summary.rewrapped, 'secret')} (${plural(summary.versionsRewrapped, 'version')} moved to the current key)`,
  );
  lines.push(`  skipped:   ${plural(summary.skipped, 'secret')} (already under the current key)`);
  lines.push(`  failed:    ${plural(summary.failed.length, 'secret')}`);
  const byReason = new Map<string, string[]>();
  for (const failure of summary.failed)
    byReason.set(failure.reason, [...(byReason.get(failure.reason) ?? []), failure.path]);
  const SHOWN = 20;
  for (const [reason, paths] of byReason) {
    lines.push(`    ${reason}: ${plural(paths.length, 'secret')}`);
    for (const path of paths.slice(0, SHOWN)) lines.push(`      ${path}`);
    if (paths.length > SHOWN) lines.push(`      ... and ${paths.length - SHOWN} more`);
  }
  if (summary.listError) {
    lines.push(`  listing failed (${summary.listError}); the walk stopped there.`);
    if (summary.listError === 'access_denied') {
      lines.push(
        `  ${context.principal} needs list, describe and admin in the vault policy (set --principal or VAULT_OPERATOR_PRINCIPAL).`,
      );
    }
  }
  if (summary.interrupted)
    lines.push('  interrupted: rerun the same command to finish (secrets already under the current key are skipped).');
  else if (summary.failed.length > 0 || (summary.listError && summary.listError !== 'access_denied')) {
    lines.push(
      '  rerun the same command to retry (secrets already under the current key are skipped); versions not yet moved keep opening under their old key.',
    );
  }
  return `${lines.join('\n')}\n`;
}
