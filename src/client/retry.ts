/** How the client retries an answer that says "later" (503, 429). */
export interface RetryOptions {
  /** Attempts in all, the first included (default 3; 1 turns retries off). */
  maxAttempts?: number;
  /** Give up rather than wait past this many milliseconds from the first attempt (default 10,000). */
  maxElapsedMs?: number;
  /** First back-off when the answer names no Retry-After, doubled each time, jittered (default 100). */
  baseDelayMs?: number;
}

/** Time as the retry loop sees it; tests pass a fake one. */
export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemRetryClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export const RETRYABLE_STATUSES = new Set([429, 503]);
const MAX_BACKOFF_MS = 5000;

/** Retry-After as seconds or an HTTP date, in milliseconds from `now`; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The wait before attempt `attempt + 1`, or undefined to give up: no attempts left, or the
 * wait (what Retry-After asks, else jittered exponential back-off) would end past the budget.
 */
export function nextDelay(
  options: Required<RetryOptions>,
  attempt: number,
  startedAt: number,
  now: number,
  retryAfter: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= options.maxAttempts) return undefined;
  const backoff = Math.min(MAX_BACKOFF_MS, options.baseDelayMs * 2 ** (attempt - 1));
  const delay = retryAfter ?? Math.round(backoff / 2 + (random() * backoff) / 2);
  return now + delay - startedAt > options.maxElapsedMs ? undefined : delay;
}
