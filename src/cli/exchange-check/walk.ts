import { randomUUID } from 'node:crypto';
import { DependencyError } from '../../core/errors';
import { assertValidPrefix } from '../../core/paths';
import type { Caller, Vault } from '../../core/vault';
import { failureReason } from '../failure-reason';
import { type ProgressCounts, ProgressReporter } from '../progress';
import { runPool } from '../worker-pool';
import { formatSweepSummary } from './summary';

export interface SweepOptions {
  vault: Vault;
  prefix: string;
  out: NodeJS.WritableStream;
  isTTY: boolean;
  /** Principal for the policy and the audit trail: needs list, describe and check. */
  principal: string;
  /** Keys checked at once (exchanges rate-limit; default 2). */
  concurrency?: number;
  pageSize?: number;
  now?: () => number;
  signal?: AbortSignal;
  heartbeatMs?: number;
}

export interface SweepSummary {
  /** Exchange keys the exchange still accepts within the rules. */
  passed: number;
  /** Keys flagged by this run, with why. */
  flagged: Array<{ path: string; reasons: string[] }>;
  /** Keys that could not be checked (error codes only). */
  failed: Array<{ path: string; reason: string }>;
  /** Plain secrets met on the way (not exchange keys). */
  skipped: number;
  interrupted: boolean;
  listError?: string;
  elapsedMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Re-checks every exchange key under `prefix` with its exchange, page by page, recording each
 * answer on the secret (see Vault.recheck) and going on after failures. Same conventions as the
 * rewrap walk: progress while it runs, Ctrl-C finishes what is in flight, a summary at the end.
 */
export async function runExchangeSweep(options: SweepOptions): Promise<SweepSummary> {
  const { vault, out, signal } = options;
  const prefix = assertValidPrefix(options.prefix);
  const now = options.now ?? Date.now;
  const runId = randomUUID().slice(0, 8);
  let requests = 0;
  const caller = (): Caller => ({ principal: options.principal, requestId: `exchange-check-${runId}-${++requests}` });
  const stopped = () => signal?.aborted === true;
  const summary: SweepSummary = { passed: 0, flagged: [], failed: [], skipped: 0, interrupted: false, elapsedMs: 0 };
  const progress = new ProgressReporter({ out, isTTY: options.isTTY, now, unit: 'keys' });
  let processed = 0;
  const counts = (): ProgressCounts => ({
    processed,
    tally: { passed: summary.passed, flagged: summary.flagged.length, failed: summary.failed.length },
  });
  const where = prefix ? `under "${prefix}"` : 'in the vault';
  const startedAt = now();
  const heartbeat =
    (options.heartbeatMs ?? 1000) > 0 ? setInterval(() => progress.tick(), options.heartbeatMs ?? 1000) : undefined;
  heartbeat?.unref();

  const checkOne = async (path: string) => {
    try {
      const result = await vault.recheck(caller(), path);
      if (result.flagged.length > 0) summary.flagged.push({ path, reasons: result.flagged });
      else summary.passed += 1;
    } catch (error) {
      // A key destroyed or rewritten since the listing: nothing to check now.
      summary.failed.push({ path, reason: failureReason(error) });
    }
  };

  try {
    out.write(`checking every exchange key ${where} with its exchange\n`);
    progress.start(counts());
    let cursor: string | undefined;
    try {
      do {
        if (stopped()) break;
        const page = await listPage(vault, caller, prefix, options.pageSize ?? 100, cursor, stopped);
        cursor = page.cursor;
        const keys = page.items.filter((item) => item.exchangeKey);
        summary.skipped += page.items.length - keys.length;
        await runPool(keys, Math.max(1, options.concurrency ?? 2), stopped, async (item) => {
          await checkOne(item.path);
          processed += 1;
          progress.update(counts());
        });
      } while (cursor);
    } catch (error) {
      summary.listError = failureReason(error);
    }
    summary.interrupted = stopped();
    summary.elapsedMs = now() - startedAt;
    progress.finish(counts());
  } finally {
    if (heartbeat) clearInterval(heartbeat);
  }
  out.write(formatSweepSummary(summary, where));
  return summary;
}

/** One list page, retrying a dependency hiccup twice. */
async function listPage(
  vault: Vault,
  caller: () => Caller,
  prefix: string,
  limit: number,
  cursor: string | undefined,
  stopped: () => boolean,
) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await vault.list(caller(), { prefix, limit, ...(cursor !== undefined && { cursor }) });
    } catch (error) {
      if (!(error instanceof DependencyError) || attempt >= 3 || stopped()) throw error;
      await sleep(Math.min(5000, error.retryAfterSeconds * 1000) * attempt);
    }
  }
}
