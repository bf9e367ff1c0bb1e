/**
 * Progress for long-running CLI walks. On a terminal: one `\r`-redrawn line with a bar,
 * counts, rate and ETA, redrawn at most every `ttyIntervalMs`. Anywhere else (CI logs, a
 * pipe, a file): a plain line every `plainEvery` items or `plainIntervalMs`, whichever
 * comes first, so logs stay readable and bounded.
 */

export interface ProgressCounts {
  processed: number;
  /** Items expected in all; unknown (undefined) shows rate and processed only. */
  total?: number;
  /** Outcomes so far, shown in insertion order: e.g. { rewrapped: 3, skipped: 1, failed: 0 }. */
  tally: Record<string, number>;
}

export interface ProgressOptions {
  out: NodeJS.WritableStream;
  isTTY: boolean;
  now: () => number;
  ttyIntervalMs?: number;
  plainEvery?: number;
  plainIntervalMs?: number;
  /** Noun for the items, e.g. "secrets". */
  unit?: string;
}

const BAR_WIDTH = 24;
/** Erase from the cursor to the end of the line (so a shorter redraw leaves no tail). */
const CLEAR_TO_EOL = '\x1b[K';

/** 850 ms -> "0.9s", 42 s -> "42s", 185 s -> "3m05s", 3720 s -> "1h02m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = ms / 1000;
  if (s < 9.95) return `${(Math.round(ms / 100) / 10).toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const totalSeconds = Math.round(s);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)}m${String(totalSeconds % 60).padStart(2, '0')}s`;
  const minutes = Math.round(totalSeconds / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export class ProgressReporter {
  private readonly out: NodeJS.WritableStream;
  private readonly isTTY: boolean;
  private readonly now: () => number;
  private readonly ttyIntervalMs: number;
  private readonly plainEvery: number;
  private readonly plainIntervalMs: number;
  private readonly unit: string;
  private startedAt: number | undefined;
  private lastDrawAt = Number.NEGATIVE_INFINITY;
  private lastPlainAt = 0;
  private lastPlainProcessed = 0;
  private counts: ProgressCounts = { processed: 0, tally: {} };

  constructor(options: ProgressOptions) {
    this.out = options.out;
    this.isTTY = options.isTTY;
    this.now = options.now;
    this.ttyIntervalMs = options.ttyIntervalMs ?? 100;
    this.plainEvery = options.plainEvery ?? 100;
    this.plainIntervalMs = options.plainIntervalMs ?? 5000;
    this.unit = options.unit ?? 'secrets';
  }

  /** Starts the clock for rate and ETA (call when the real work begins). */
  start(counts: ProgressCounts): void {
    this.startedAt = this.now();
    this.lastPlainAt = this.startedAt;
    this.counts = { ...counts };
    if (this.isTTY) this.draw();
  }

  /** New counts; draws if the throttle allows. */
  update(counts: ProgressCounts): void {
    this.counts = { ...counts };
    this.tick();
  }

  /** Re-evaluates the throttle with the last counts (a heartbeat while one item is slow). */
  tick(): void {
    if (this.startedAt === undefined) return;
    const now = this.now();
    if (this.isTTY) {
      if (now - this.lastDrawAt >= this.ttyIntervalMs) this.draw(now);
      return;
    }
    const { processed } = this.counts;
    if (
      processed - this.lastPlainProcessed >= this.plainEvery ||
      (now - this.lastPlainAt >= this.plainIntervalMs && processed > 0)
    ) {
      this.plain(now);
    }
  }

  /** Final state: the bar drawn once more and ended with a newline, or a last plain line. */
  finish(counts: ProgressCounts): void {
    this.counts = { ...counts };
    if (this.startedAt === undefined) this.startedAt = this.now();
    const now = this.now();
    if (this.isTTY) {
      this.draw(now);
      this.out.write('\n');
    } else if (this.counts.processed !== this.lastPlainProcessed || this.counts.processed === 0) {
      this.plain(now);
    }
  }

  private rate(now: number): number | undefined {
    const seconds = (now - (this.startedAt ?? now)) / 1000;
    // Under half a second (or nothing done yet) a rate is noise, and the ETA from it a guess.
    if (seconds < 0.5 || this.counts.processed === 0) return undefined;
    return this.counts.processed / seconds;
  }

  private eta(now: number): string {
    const rate = this.rate(now);
    const { total, processed } = this.counts;
    if (total === undefined) return '';
    if (processed >= total) return 'ETA 0s';
    return rate ? `ETA ${formatDuration(((total - processed) / rate) * 1000)}` : 'ETA --';
  }

  private describe(now: number): { ratio?: number; text: string } {
    const { processed, tally, total } = this.counts;
    const rate = this.rate(now);
    const parts = [
      total === undefined ? `${processed} ${this.unit}` : `${processed}/${total} ${this.unit}`,
      Object.entries(tally)
        .map(([outcome, n]) => `${n} ${outcome}`)
        .join(', '),
      rate === undefined ? '-/s' : `${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)}/s`,
    ];
    const eta = this.eta(now);
    if (eta) parts.push(eta);
    if (total === undefined) return { text: parts.join(' | ') };
    const ratio = total === 0 ? 1 : Math.min(1, processed / total);
    return { ratio, text: parts.join(' | ') };
  }

  private draw(now = this.now()): void {
    this.lastDrawAt = now;
    const { ratio, text } = this.describe(now);
    let line = text;
    if (ratio !== undefined) {
      const filled = Math.round(ratio * BAR_WIDTH);
      line = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${text}`;
    }
    // A line wider than the terminal wraps, and `\r` then redraws only its last row.
    const columns = (this.out as { columns?: number }).columns;
    if (columns && columns > 1 && line.length > columns - 1) line = line.slice(0, columns - 1);
    this.out.write(`\r${line}${CLEAR_TO_EOL}`);
  }

  private plain(now: number): void {
    this.lastPlainAt = now;
    this.lastPlainProcessed = this.counts.processed;
    const { ratio, text } = this.describe(now);
    const percent = ratio === undefined ? '' : ` (${Math.floor(ratio * 100)}%)`;
    this.out.write(`progress: ${text.replace(' | ', `${percent} | `)}\n`);
  }
}
