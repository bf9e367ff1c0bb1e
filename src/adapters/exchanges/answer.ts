/**
 * Turning an exchange's refusal into the vault's errors, the same way for every exchange. Each
 * exchange module only says which of its codes means what.
 */
import type * as z from 'zod/mini';
import { DependencyError, ExchangeIpNotWhitelistedError, ExchangeKeyInvalidError } from '../../core/errors';
import type { Exchange } from '../../core/exchange-keys';
import type { ExchangeAnswer } from './exchange-api';

/** What an exchange's error code means for the vault. */
export type Outcome =
  | 'unknown_key'
  | 'signature'
  | 'passphrase'
  | 'expired'
  | 'permission'
  | 'format'
  | 'account'
  | 'ip'
  /** One code for both an invalid key and a caller outside the whitelist (Binance -2015). */
  | 'ip_or_key'
  /** The exchange refused the vault's timestamp: the vault's clock, not the key. */
  | 'timestamp'
  | 'rate_limited'
  | 'unavailable'
  /** The exchange says our request is malformed: a bug on our side, not the caller's key. */
  | 'bad_request';

export interface RetryHints {
  /** Header holding the epoch milliseconds when the rate limit resets (Bybit, Gate). */
  resetAtMsHeader?: string;
  /** Header holding the milliseconds until the rate limit resets (KuCoin). */
  resetInMsHeader?: string;
}

const MAX_RETRY_SECONDS = 300;
const CODE = /^-?[A-Za-z0-9_]{1,40}$/;

/**
 * The exchange's code as a short token, or undefined. Codes reach callers as a detail; a value
 * that is not a plain token is dropped rather than passed on, since it came from the network.
 */
export function safeCode(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value);
  return CODE.test(text) ? text : undefined;
}

const clamp = (seconds: number) => Math.min(MAX_RETRY_SECONDS, Math.max(1, Math.ceil(seconds)));

/** Seconds until a retry may succeed: the exchange's own hint where it gives one, else `fallback`. */
export function retryAfterSeconds(answer: ExchangeAnswer, hints: RetryHints, fallback: number): number {
  const retryAfter = answer.headers.get('retry-after');
  if (retryAfter !== null) {
    if (/^\d+$/.test(retryAfter.trim())) return clamp(Number(retryAfter));
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) return clamp((at - answer.nowMs) / 1000);
  }
  if (hints.resetAtMsHeader) {
    const at = Number(answer.headers.get(hints.resetAtMsHeader));
    if (Number.isFinite(at) && at > 0) return clamp((at - answer.nowMs) / 1000);
  }
  if (hints.resetInMsHeader) {
    const inMs = Number(answer.headers.get(hints.resetInMsHeader));
    if (Number.isFinite(inMs) && inMs >= 0) return clamp(inMs / 1000);
  }
  return fallback;
}

export function errorFor(
  exchange: Exchange,
  code: string,
  outcome: Outcome,
  answer: ExchangeAnswer,
  hints: RetryHints,
): Error {
  switch (outcome) {
    case 'ip':
      return new ExchangeIpNotWhitelistedError(exchange, code);
    case 'ip_or_key':
      return new ExchangeIpNotWhitelistedError(exchange, code, true);
    case 'timestamp':
      return new DependencyError(
        'exchange',
        `${exchange} refused the vault's timestamp (code ${code}): check the clock`,
        {
          retryAfterSeconds: 30,
        },
      );
    case 'rate_limited':
      return new DependencyError('exchange', `${exchange} rate limited (code ${code})`, {
        retryAfterSeconds: retryAfterSeconds(answer, hints, 2),
      });
    case 'unavailable':
      return new DependencyError('exchange', `${exchange} unavailable (HTTP ${answer.status}, code ${code})`, {
        retryAfterSeconds: retryAfterSeconds(answer, hints, 1),
      });
    case 'bad_request':
      return new DependencyError('exchange', `${exchange} refused the vault's request as malformed (code ${code})`, {
        retryAfterSeconds: 30,
      });
    default:
      return new ExchangeKeyInvalidError(exchange, code, outcome);
  }
}

/**
 * The error for an answer that is not a success: by the body's code where the exchange gave a
 * known one; otherwise by HTTP status for rate limits and server errors; anything else is an
 * answer the vault does not understand, so nothing is stored and the caller may retry.
 */
export function failure(
  exchange: Exchange,
  answer: ExchangeAnswer,
  code: string | undefined,
  table: Readonly<Record<string, Outcome>>,
  hints: RetryHints = {},
): Error {
  const outcome = code === undefined ? undefined : table[code];
  if (code !== undefined && outcome !== undefined) return errorFor(exchange, code, outcome, answer, hints);
  if (answer.status === 429 || answer.status === 418) {
    return errorFor(exchange, code ?? `HTTP${answer.status}`, 'rate_limited', answer, hints);
  }
  if (answer.status >= 500) return errorFor(exchange, code ?? 'none', 'unavailable', answer, hints);
  return unexpected(exchange, answer, code);
}

export function unexpected(exchange: Exchange, answer: ExchangeAnswer, code?: string): DependencyError {
  return new DependencyError(
    'exchange',
    `${exchange} answered an unexpected body (HTTP ${answer.status}${code === undefined ? '' : `, code ${code}`})`,
    { retryAfterSeconds: 5 },
  );
}

/**
 * Parses the success body against the documented shape; anything else is `unexpected`. The zod
 * error is not kept as a cause: its issues can quote the body.
 */
export function shaped<S extends z.ZodMiniType>(exchange: Exchange, schema: S, answer: ExchangeAnswer): z.output<S> {
  const result = schema.safeParse(answer.body);
  if (!result.success) throw unexpected(exchange, answer);
  return result.data;
}

const ADDRESS = /^[0-9A-Fa-f.:*/]{1,64}$/;
const MAX_ADDRESSES = 100;

/** Whitelisted addresses as the exchange listed them, keeping only entries that look like addresses. */
export function addresses(entries: readonly string[]): string[] {
  return entries
    .map((entry) => entry.trim())
    .filter((entry) => ADDRESS.test(entry))
    .slice(0, MAX_ADDRESSES);
}

/** An epoch-milliseconds number (or numeric string) as ISO-8601, or undefined when it is not a plausible time. */
export function isoFromMs(value: unknown): string | undefined {
  const ms = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || ms > 8.64e15) return undefined;
  return new Date(ms).toISOString();
}

/** An ISO-8601 (or RFC 3339) date string normalised, or undefined. */
export function isoFromText(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** Combines flags where any `true` wins, all `false` give false, and otherwise the answer is unknown. */
export function anyOf(...flags: (boolean | null | undefined)[]): boolean | null {
  if (flags.some((flag) => flag === true)) return true;
  if (flags.every((flag) => flag === false)) return false;
  return null;
}

/** True when none of the flags is set, false when one is, unknown otherwise. */
export function noneOf(...flags: (boolean | null | undefined)[]): boolean | null {
  const any = anyOf(...flags);
  return any === null ? null : !any;
}
