import type { StubRequest } from '../stubs/exchanges/stub-server';

const SIGNATURE_HEADERS = ['ok-access-sign', 'x-bapi-sign', 'access-sign', 'sign', 'kc-api-sign', 'kc-api-passphrase'];

/**
 * Everything secret that went over the wire in these requests: signature headers, query
 * signatures, HMACed passphrases, plus the given plain secrets.
 */
export function collectSecrets(requests: readonly StubRequest[], plain: readonly string[]): string[] {
  const found = new Set(plain);
  for (const request of requests) {
    for (const name of SIGNATURE_HEADERS) {
      const value = request.headers[name];
      if (value) found.add(value);
    }
    const signature = /(?:^|&)signature=([^&]+)/.exec(request.rawQuery)?.[1];
    if (signature) found.add(signature);
  }
  return [...found];
}

/** JSON of values including errors' own properties, messages, stacks and whole `cause` chains. */
export function serialiseDeep(value: unknown): string {
  const seen = new Set<unknown>();
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return '[seen]';
    seen.add(v);
    if (Array.isArray(v)) return v.map(walk);
    const out: Record<string, unknown> = {};
    if (v instanceof Error) {
      out.name = v.name;
      out.message = v.message;
      out.stack = v.stack;
      out.cause = walk(v.cause);
    }
    for (const key of Object.getOwnPropertyNames(v)) out[key] = walk((v as Record<string, unknown>)[key]);
    return out;
  };
  return JSON.stringify(walk(value));
}
