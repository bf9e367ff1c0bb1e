/**
 * How a budget is judged. A measured figure comes with its spread over repeated runs; the
 * verdict is `inconclusive` whenever that spread is wider than the distance between the median
 * and the limit, because a rerun could then land on the other side. That rule includes every
 * case where the runs themselves fall on both sides of the limit (the median lies inside the
 * spread, so the spread is then at least as wide as the margin).
 */

export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'not-measured';

/** `max`: the figure must stay at or below the limit; `min`: at or above it. */
export type Direction = 'max' | 'min';

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** What `min`..`max` is: e.g. "min..max of 3 per-pair ratios". */
  kind: string;
  /** The values the median and spread come from, in the order measured. */
  values: number[];
}

export interface BudgetLine {
  /** What is budgeted, in words. */
  name: string;
  verdict: Verdict;
  /** The budgeted figure (a median when it has a spread). */
  measured: number | null;
  /** e.g. "<= 1.15". */
  limit: string;
  spread?: { min: number; max: number; kind: string };
  /** |median - limit|, when there is a spread: the spread must be narrower than this for pass or fail. */
  margin?: number;
  unit: string;
  /** Context: the figures beside the budgeted one. */
  detail?: string;
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Linear-interpolated quantile (q in 0..1) of a non-empty list. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median and full range (min..max) of a few repeated measurements. */
export function rangeSpread(values: number[], kind: string, digits = 3): Spread {
  if (values.length === 0) throw new Error('no values to summarise');
  return {
    median: round(median(values), digits),
    min: round(Math.min(...values), digits),
    max: round(Math.max(...values), digits),
    kind,
    values: values.map((v) => round(v, digits)),
  };
}

/** Median and interquartile range (25th..75th percentile): for many samples, where one outlier should not decide. */
export function iqrSpread(values: number[], kind: string, digits = 1): Spread {
  if (values.length === 0) throw new Error('no values to summarise');
  return {
    median: round(median(values), digits),
    min: round(quantile(values, 0.25), digits),
    max: round(quantile(values, 0.75), digits),
    kind,
    values: values.map((v) => round(v, digits)),
  };
}

const within = (value: number, limit: number, direction: Direction) =>
  direction === 'max' ? value <= limit : value >= limit;

/** pass / fail on the median, unless the spread is wider than the median's margin to the limit. */
export function judge(spread: Spread, limit: number, direction: Direction): { verdict: Verdict; margin: number } {
  const margin = Math.abs(spread.median - limit);
  if (spread.max - spread.min > margin) return { verdict: 'inconclusive', margin: round(margin) };
  return { verdict: within(spread.median, limit, direction) ? 'pass' : 'fail', margin: round(margin) };
}

const symbol = (direction: Direction) => (direction === 'max' ? '<=' : '>=');

/** A budget line for a figure measured several times. */
export function spreadBudget(
  name: string,
  spread: Spread,
  limit: number,
  direction: Direction,
  unit: string,
  detail?: string,
): BudgetLine {
  const { verdict, margin } = judge(spread, limit, direction);
  return {
    name,
    verdict,
    measured: spread.median,
    limit: `${symbol(direction)} ${limit}`,
    spread: { min: spread.min, max: spread.max, kind: spread.kind },
    margin,
    unit,
    ...(detail !== undefined && { detail }),
  };
}

/** A budget line for a figure with no run-to-run noise (a byte count, a call count). */
export function exactBudget(
  name: string,
  value: number,
  limit: number,
  direction: Direction,
  unit: string,
  detail?: string,
): BudgetLine {
  return {
    name,
    verdict: within(value, limit, direction) ? 'pass' : 'fail',
    measured: value,
    limit: `${symbol(direction)} ${limit}`,
    unit,
    ...(detail !== undefined && { detail }),
  };
}

export function notMeasured(name: string, limit: string, unit: string, detail: string): BudgetLine {
  return { name, verdict: 'not-measured', measured: null, limit, unit, detail };
}
