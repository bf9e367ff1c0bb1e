/** One finished request, as metrics count it: the route template, never the path. */
export interface RequestOutcome {
  method: string;
  /** The route template (e.g. /v1/secrets/{path}), or 'unmatched'. */
  route: string;
  status: number;
  latencyMs: number;
}

/** Request ids we log: short, and nothing that could forge a log field or a line. */
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The id if it is well formed (a single header value, 1-128 safe characters), else undefined. */
export function wellFormedRequestId(value: unknown): string | undefined {
  return typeof value === 'string' && REQUEST_ID.test(value) ? value : undefined;
}
