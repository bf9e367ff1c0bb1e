import type { KeyUsageCounts } from '../../core/data-key-cache';
import { LATENCY_BUCKETS, type RequestSeries } from './request-counts';

/** A label value in the text format: backslash, quote and newline escaped. */
const label = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * The counts in Prometheus text exposition format 0.0.4: requests by method, route and
 * status, their latency as a histogram, key-service calls by operation, and data-key cache
 * hits and misses. Labels hold route templates and operation names only, never a path.
 */
export function prometheusText(requests: RequestSeries[], keys: KeyUsageCounts): string {
  const lines: string[] = [];
  const labels = (s: RequestSeries) => `method="${label(s.method)}",route="${label(s.route)}",status="${s.status}"`;
  lines.push('# HELP kms_vault_requests_total HTTP requests answered, by method, route template and status.');
  lines.push('# TYPE kms_vault_requests_total counter');
  for (const s of requests) lines.push(`kms_vault_requests_total{${labels(s)}} ${s.count}`);
  lines.push('# HELP kms_vault_request_duration_seconds Time from request to response.');
  lines.push('# TYPE kms_vault_request_duration_seconds histogram');
  for (const s of requests) {
    LATENCY_BUCKETS.forEach((bound, i) => {
      lines.push(`kms_vault_request_duration_seconds_bucket{${labels(s)},le="${bound}"} ${s.buckets[i]}`);
    });
    lines.push(`kms_vault_request_duration_seconds_bucket{${labels(s)},le="+Inf"} ${s.count}`);
    lines.push(`kms_vault_request_duration_seconds_sum{${labels(s)}} ${s.latencySecondsSum}`);
    lines.push(`kms_vault_request_duration_seconds_count{${labels(s)}} ${s.count}`);
  }
  lines.push('# HELP kms_vault_key_service_calls_total Calls to the key service (KMS in AWS mode), by operation.');
  lines.push('# TYPE kms_vault_key_service_calls_total counter');
  for (const [operation, count] of Object.entries(keys.keyServiceCalls)) {
    lines.push(`kms_vault_key_service_calls_total{operation="${operation}"} ${count}`);
  }
  lines.push('# HELP kms_vault_data_key_cache_hits_total Data-key unwraps served without a key-service call.');
  lines.push('# TYPE kms_vault_data_key_cache_hits_total counter');
  lines.push(`kms_vault_data_key_cache_hits_total ${keys.cacheHits}`);
  lines.push('# HELP kms_vault_data_key_cache_misses_total Data-key unwraps that called the key service.');
  lines.push('# TYPE kms_vault_data_key_cache_misses_total counter');
  lines.push(`kms_vault_data_key_cache_misses_total ${keys.cacheMisses}`);
  return `${lines.join('\n')}\n`;
}
