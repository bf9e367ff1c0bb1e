import autocannon from 'autocannon';
import { otherCores, processCpuMs, snapshot } from './proc-cpu';
import type { PresignedRequest } from './sign';

export interface LoadRun {
  durationSec: number;
  /** Successful (2xx) responses per second. */
  rps: number;
  latencyMs: { p50: number; p99: number; mean: number };
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Server process CPU (user + system) per completed request, µs. */
  serverCpuUsPerRequest?: number;
  /** Server process CPU use during the run, in cores (1.0 = one core busy all the time). */
  serverCpuCores?: number;
  /** CPU used by processes other than the bench and its servers during the run, in cores. */
  otherCpuCores?: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationSec: number;
  /** Connection i replays requestFor(i). */
  requestFor: (connection: number) => PresignedRequest;
  serverPid?: number;
  /** Every child process of the bench, so their CPU is not counted as "other". */
  childPids?: number[];
}

/**
 * Closed-loop load with autocannon: `connections` keep-alive connections, one request in
 * flight on each (no pipelining), for `durationSec`.
 */
export async function runLoad(options: LoadOptions): Promise<LoadRun> {
  const { url, connections, durationSec, requestFor, serverPid, childPids = [] } = options;
  let next = 0;
  const cpuBefore = serverPid === undefined ? undefined : processCpuMs(serverPid);
  const machineBefore = snapshot(childPids);
  const result = await autocannon({
    url,
    connections,
    duration: durationSec,
    pipelining: 1,
    timeout: 10,
    setupClient: (client) => {
      const { method, path, headers, body } = requestFor(next++);
      // setRequests, not setRequest: the latter changes only the first request and the
      // connection falls back to the default `GET /` from its second request on.
      client.setRequests([{ method, path, headers, ...(body !== undefined && { body }) }]);
    },
  });
  const other = otherCores(machineBefore, snapshot(childPids));
  const cpuAfter = serverPid === undefined ? undefined : processCpuMs(serverPid);
  const run: LoadRun = {
    durationSec: result.duration,
    rps: Math.round((result['2xx'] / result.duration) * 10) / 10,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: Math.round(result.latency.mean * 100) / 100 },
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
  if (cpuBefore !== undefined && cpuAfter !== undefined && result.requests.total > 0) {
    const cpuMs = cpuAfter - cpuBefore;
    run.serverCpuUsPerRequest = Math.round((cpuMs * 1000) / result.requests.total);
    run.serverCpuCores = Math.round((cpuMs / (result.duration * 1000)) * 100) / 100;
  }
  if (other !== undefined) run.otherCpuCores = other;
  return run;
}

export interface LoadResult {
  connections: number;
  /** Total timed seconds over all runs. */
  durationSec: number;
  /** 2xx responses per second over all runs together. */
  rps: number;
  /** Medians over the runs for p50 and mean, the worst run for p99. */
  latencyMs: { p50: number; p99: number; mean: number };
  non2xx: number;
  errors: number;
  serverCpuUsPerRequest?: number;
  otherCpuCoresMax?: number;
  runs: LoadRun[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** Folds several runs of one (server, workload, connections) point into one figure. */
export function combineRuns(connections: number, runs: LoadRun[]): LoadResult {
  const seconds = runs.reduce((a, r) => a + r.durationSec, 0);
  const ok = runs.reduce((a, r) => a + r.rps * r.durationSec, 0);
  const requests = runs.reduce((a, r) => a + r.requests, 0);
  const cpu = runs.every((r) => r.serverCpuUsPerRequest !== undefined)
    ? Math.round(runs.reduce((a, r) => a + r.serverCpuUsPerRequest! * r.requests, 0) / requests)
    : undefined;
  const others = runs.map((r) => r.otherCpuCores).filter((c): c is number => c !== undefined);
  return {
    connections,
    durationSec: seconds,
    rps: Math.round((ok / seconds) * 10) / 10,
    latencyMs: {
      p50: median(runs.map((r) => r.latencyMs.p50)),
      p99: Math.max(...runs.map((r) => r.latencyMs.p99)),
      mean: median(runs.map((r) => r.latencyMs.mean)),
    },
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    ...(cpu !== undefined && { serverCpuUsPerRequest: cpu }),
    ...(others.length > 0 && { otherCpuCoresMax: Math.max(...others) }),
    runs,
  };
}
