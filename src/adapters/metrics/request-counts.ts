import type { RequestOutcome } from '../http/request-outcome';

/** Latency bucket bounds, seconds (Prometheus' defaults, which suit an HTTP API). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** One method, route template and status: how many requests, and how long they took. */
export interface RequestSeries {
  method: string;
  route: string;
  status: number;
  count: number;
  latencySecondsSum: number;
  /** Requests at or under each LATENCY_BUCKETS bound (cumulative, as Prometheus wants). */
  buckets: number[];
}

/**
 * Counts finished requests in memory for GET /metrics. Series are keyed by route template
 * (never a path), method and status, so their number is bounded by the route table.
 */
export class RequestCounts {
  private readonly series = new Map<string, RequestSeries>();

  readonly observe = (outcome: RequestOutcome): void => {
    const key = `${outcome.method} ${outcome.route} ${outcome.status}`;
    let series = this.series.get(key);
    if (!series) {
      series = {
        method: outcome.method,
        route: outcome.route,
        status: outcome.status,
        count: 0,
        latencySecondsSum: 0,
        buckets: LATENCY_BUCKETS.map(() => 0),
      };
      this.series.set(key, series);
    }
    const seconds = outcome.latencyMs / 1000;
    series.count += 1;
    series.latencySecondsSum += seconds;
    LATENCY_BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) series.buckets[i]! += 1;
    });
  };

  /** Every series, sorted so the text is stable. */
  snapshot(): RequestSeries[] {
    return [...this.series.values()]
      .map((s) => ({ ...s, buckets: [...s.buckets] }))
      .sort((a, b) => `${a.route} ${a.method} ${a.status}`.localeCompare(`${b.route} ${b.method} ${b.status}`));
  }
}
