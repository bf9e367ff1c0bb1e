import { randomUUID } from 'node:crypto';
import { DependencyError, VaultError } from '../../core/errors';
import { assertValidPrefix } from '../../core/paths';
import type { Caller, Vault } from '../../core/vault';
import { failureReason } from '../failure-reason';
import { type ProgressCounts, ProgressReporter } from '../progress';
import { runPool } from '../worker-pool';
import { formatSummary } from './summary';

export interface RewrapOptions {
  vault: Vault;
  prefix: string;
  out: NodeJS.WritableStream;
  isTTY: boolean;
  /** Secrets per list page (default 100). */
  pageSize?: number;
  /** Milliseconds clock for rate, ETA and throttling (default Date.now). */
  now?: () => number;
  /** Principal for policy and audit. */
  principal: string;
  /** Secrets rewrapped at once (default 1). */
  concurrency?: number;
  /** Aborting finishes the secrets in flight, starts no new one, and prints the summary. */
  signal?: AbortSignal;
  /** Count the secrets first so progress has a total and an ETA (default true). */
  countFirst?: boolean;
  /** Attempts per secret when a concurrent write wins the HEAD's optimistic lock (default 3). */
  conflictAttempts?: number;
  /** Milliseconds between progress heartbeats while a secret is slow (default 1000; 0 = none). */
  heartbeatMs?: number;
}

export interface RewrapFailure {
  path: string;
  /** Error code (and dependency), never a message that could carry data. */
  reason: string;
}

export interface RewrapSummary {
  /** Secrets with at least one version moved to the current key. */
  rewrapped: number;
  /** Secrets with nothing to move (all versions already under the current key, or gone). */
  skipped: number;
  failed: RewrapFailure[];
  /** Secrets processed: rewrapped + skipped + failed. */
  secrets: number;
  /** Versions moved, over all secrets. */
  versionsRewrapped: number;
  /** True when the signal stopped the walk before the end. */
  interrupted: boolean;
  /** Set when listing failed and the walk could not go on; a rerun resumes it. */
  listError?: string;
  /** The current key id as rewrap reported it. */
  keyId?: string;
  elapsedMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Walks every secret under `prefix` page by page and rewraps each one, recording failures and
 * going on. Prints progress while it runs and a summary at the end.
 *
 * Total and ETA: the walk first counts with a list pass (countFirst). A list page is one
 * index query of metadata (no KMS call, no ciphertext), while rewrapping one secret costs a
 * HEAD read, a key lookup, one ReEncrypt and one or two writes per version; so counting adds
 * a few percent to the run and buys a real bar and ETA, which is what an operator watching a
 * key migration wants to know. The count is a snapshot: secrets written meanwhile are already
 * under the current key (skipped), and the total grows if the walk sees more than were counted.
 */
export async function runRewrap(options: RewrapOptions): Promise<RewrapSummary> {
  const { vault, out, isTTY, signal } = options;
  const prefix = assertValidPrefix(options.prefix);
  const pageSize = options.pageSize ?? 100;
  const now = options.now ?? Date.now;
  const { principal } = options;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const conflictAttempts = Math.max(1, options.conflictAttempts ?? 3);
  const runId = randomUUID().slice(0, 8);
  let requests = 0;
  const caller = (): Caller => ({ principal, requestId: `rewrap-${runId}-${++requests}` });
  const where = prefix ? `under "${prefix}"` : 'in the vault';
  const stopped = () => signal?.aborted === true;

  const summary: RewrapSummary = {
    rewrapped: 0,
    skipped: 0,
    failed: [],
    secrets: 0,
    versionsRewrapped: 0,
    interrupted: false,
    elapsedMs: 0,
  };
  const progress = new ProgressReporter({ out, isTTY, now, unit: 'secrets' });
  const startedAt = now();
  let total: number | undefined;
  const counts = (): ProgressCounts => ({
    processed: summary.secrets,
    tally: { rewrapped: summary.rewrapped, skipped: summary.skipped, failed: summary.failed.length },
    ...(total !== undefined && { total: Math.max(total, summary.secrets) }),
  });

  /** One list page, retrying a dependency hiccup twice; anything else ends the walk. */
  const listPage = async (cursor: string | undefined) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await vault.list(caller(), { prefix, limit: pageSize, ...(cursor !== undefined && { cursor }) });
      } catch (error) {
        if (!(error instanceof DependencyError) || attempt >= 3 || stopped()) throw error;
        await sleep(Math.min(5000, error.retryAfterSeconds * 1000) * attempt);
      }
    }
  };

  const rewrapOne = async (path: string) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await vault.rewrap(caller(), path);
        summary.keyId = result.keyId;
        if (result.rewrapped.length > 0) {
          summary.rewrapped += 1;
          summary.versionsRewrapped += result.rewrapped.length;
        } else {
          summary.skipped += 1;
        }
        return;
      } catch (error) {
        const code = error instanceof VaultError ? error.code : undefined;
        // A concurrent write moved the HEAD: what was rewrapped stays rewrapped, so try again.
        if (code === 'conflict' && attempt < conflictAttempts) {
          await sleep(20 * attempt);
          continue;
        }
        // Destroyed between list and rewrap: nothing left to move.
        if (code === 'not_found') summary.skipped += 1;
        else summary.failed.push({ path, reason: failureReason(error) });
        return;
      }
    }
  };

  let walking = false;
  const heartbeatMs = options.heartbeatMs ?? 1000;
  const heartbeat = heartbeatMs > 0 ? setInterval(() => progress.tick(), heartbeatMs) : undefined;
  heartbeat?.unref();
  try {
    try {
      if (options.countFirst ?? true) {
        out.write(`counting secrets ${where}...\n`);
        let counted = 0;
        let cursor: string | undefined;
        do {
          const page = await listPage(cursor);
          counted += page.items.length;
          cursor = page.cursor;
        } while (cursor && !stopped());
        total = counted;
        out.write(
          `rewrapping ${counted} secret${counted === 1 ? '' : 's'} ${where}${concurrency > 1 ? `, ${concurrency} at a time` : ''}\n`,
        );
      } else {
        out.write(`rewrapping every secret ${where}${concurrency > 1 ? `, ${concurrency} at a time` : ''}\n`);
      }
      progress.start(counts());
      walking = true;

      let cursor: string | undefined;
      do {
        if (stopped()) break;
        const page = await listPage(cursor);
        cursor = page.cursor;
        // Secrets in flight finish on interrupt; no new one starts.
        await runPool(page.items, concurrency, stopped, async (item) => {
          await rewrapOne(item.path);
          summary.secrets += 1;
          progress.update(counts());
        });
      } while (cursor);
    } catch (error) {
      // Only listing can get here: without the next page the walk cannot go on.
      summary.listError = failureReason(error);
    }
    summary.interrupted = stopped();
    summary.elapsedMs = now() - startedAt;
    if (walking) progress.finish(counts());
  } finally {
    if (heartbeat) clearInterval(heartbeat);
  }
  out.write(formatSummary(summary, { where, principal }));
  return summary;
}
