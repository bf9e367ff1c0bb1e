import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KeyUsageCounts } from '../../core/data-key-cache';
import type { RequestOutcome } from '../http/request-outcome';

/**
 * On Lambda: one CloudWatch embedded-metric-format line per request, written by Powertools'
 * Metrics to stdout, where the Lambda log group turns it into metrics with no API call.
 * Dimensions: the route (method and template, never a path) and the status, plus a set of the
 * service alone so totals need no metric math. Key-service calls and data-key cache hits and
 * misses are the ones since the previous request: a Lambda container serves one request at a
 * time, so they are exactly this request's.
 */
export function emfObserver(metrics: Metrics, keys: { counts(): KeyUsageCounts }): (outcome: RequestOutcome) => void {
  let last = keys.counts();
  return (outcome) => {
    const now = keys.counts();
    const kmsCalls =
      now.keyServiceCalls.generateDataKey +
      now.keyServiceCalls.decryptDataKey +
      now.keyServiceCalls.rewrapDataKey -
      (last.keyServiceCalls.generateDataKey + last.keyServiceCalls.decryptDataKey + last.keyServiceCalls.rewrapDataKey);
    metrics.addDimension('route', `${outcome.method} ${outcome.route}`);
    metrics.addDimension('status', String(outcome.status));
    // An empty set adds the service-only dimension set beside [service, route, status].
    metrics.addDimensions({});
    metrics.addMetric('Requests', MetricUnit.Count, 1);
    metrics.addMetric('Latency', MetricUnit.Milliseconds, outcome.latencyMs);
    metrics.addMetric('KmsCalls', MetricUnit.Count, kmsCalls);
    metrics.addMetric('DataKeyCacheHits', MetricUnit.Count, now.cacheHits - last.cacheHits);
    metrics.addMetric('DataKeyCacheMisses', MetricUnit.Count, now.cacheMisses - last.cacheMisses);
    last = now;
    metrics.publishStoredMetrics();
  };
}
