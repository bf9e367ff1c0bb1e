/**
 * Bounded micro-benchmark loops. Candidates are timed in interleaved rounds (A B C A B C ...)
 * so that noise from other work on the machine lands on all of them alike, and ratios are
 * taken per round (paired) before the median.
 */

export interface TimingOptions {
  /** Untimed iterations first, so the JIT and any lazy init are done. */
  warmupIterations: number;
  /** A round runs at least this long... */
  minMs: number;
  /** ...and at least this many iterations... */
  minIterations: number;
  /** ...but never more than this many (the loop bound). */
  maxIterations: number;
}

export interface Timing {
  /** Median over rounds, microseconds per operation. */
  usPerOp: number;
  /** Every round's figure, to show the spread. */
  roundsUsPerOp: number[];
  /** Total timed iterations over all rounds. */
  iterations: number;
}

export type Candidate =
  | { op: () => void; async?: false; options?: Partial<TimingOptions> }
  | { op: () => Promise<void>; async: true; options?: Partial<TimingOptions> };

export const DEFAULT_TIMING: TimingOptions = {
  warmupIterations: 1000,
  minMs: 1000,
  minIterations: 2000,
  maxIterations: 20_000_000,
};

const BATCH = 64;

export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function roundSync(op: () => void, o: TimingOptions): { us: number; iterations: number } {
  const minNs = BigInt(o.minMs) * 1_000_000n;
  let iterations = 0;
  let elapsed = 0n;
  const start = process.hrtime.bigint();
  while (iterations < o.maxIterations && (elapsed < minNs || iterations < o.minIterations)) {
    for (let i = 0; i < BATCH; i++) op();
    iterations += BATCH;
    elapsed = process.hrtime.bigint() - start;
  }
  return { us: Number(elapsed) / 1000 / iterations, iterations };
}

async function roundAsync(op: () => Promise<void>, o: TimingOptions): Promise<{ us: number; iterations: number }> {
  const minNs = BigInt(o.minMs) * 1_000_000n;
  let iterations = 0;
  let elapsed = 0n;
  const start = process.hrtime.bigint();
  while (iterations < o.maxIterations && (elapsed < minNs || iterations < o.minIterations)) {
    await op();
    iterations += 1;
    elapsed = process.hrtime.bigint() - start;
  }
  return { us: Number(elapsed) / 1000 / iterations, iterations };
}

/** Warms every candidate up, then runs `rounds` interleaved rounds. Returns per-candidate timings and per-round figures. */
export async function timeInterleaved<K extends string>(
  candidates: Record<K, Candidate>,
  rounds: number,
  base: TimingOptions = DEFAULT_TIMING,
): Promise<{ timings: Record<K, Timing>; perRound: Array<Record<K, number>> }> {
  const names = Object.keys(candidates) as K[];
  const opts = (name: K): TimingOptions => ({ ...base, ...candidates[name].options });
  for (const name of names) {
    const c = candidates[name];
    const n = opts(name).warmupIterations;
    for (let i = 0; i < n; i++) {
      if (c.async) await c.op();
      else c.op();
    }
  }
  const perRound: Array<Record<K, number>> = [];
  const iterations = Object.fromEntries(names.map((n) => [n, 0])) as Record<K, number>;
  for (let r = 0; r < rounds; r++) {
    const row = {} as Record<K, number>;
    for (const name of names) {
      const c = candidates[name];
      const result = c.async ? await roundAsync(c.op, opts(name)) : roundSync(c.op, opts(name));
      row[name] = result.us;
      iterations[name] += result.iterations;
    }
    perRound.push(row);
  }
  const timings = Object.fromEntries(
    names.map((name) => [
      name,
      {
        usPerOp: round3(median(perRound.map((row) => row[name]))),
        roundsUsPerOp: perRound.map((row) => round3(row[name])),
        iterations: iterations[name],
      },
    ]),
  ) as Record<K, Timing>;
  return { timings, perRound };
}
