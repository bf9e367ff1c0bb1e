import autocannon from 'autocannon';
import { otherCores, snapshot } from './proc-cpu';
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
  /** Server process CPU (user + system, all its threads) per completed request, µs. */
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
  /** The server's CPU time so far (ms), read just before and just after the run. */
  serverCpuMs?: () => Promise<number | undefined>;
  /** Every child process of the bench, so their CPU is not counted as "other". */
  childPids?: number[];
}

/**
 * Closed-loop load with autocannon: `connections` keep-alive connections, one request in
 * flight on each (no pipelining), for `durationSec`.
 */
export async function runLoad(options: LoadOptions): Promise<LoadRun> {
  const { url, connections, durationSec, requestFor, serverCpuMs, childPids = [] } = options;
  let next = 0;
  const cpuBefore = await serverCpuMs?.();
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
  const cpuAfter = await serverCpuMs?.();
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
    run.serverCpuUsPerRequest = Math.round((cpuMs * 10_000) / result.requests.total) / 10;
    run.serverCpuCores = Math.round((cpuMs / (result.duration * 1000)) * 100) / 100;
  }
  if (other !== undefined) run.otherCpuCores = other;
  return run;
}
