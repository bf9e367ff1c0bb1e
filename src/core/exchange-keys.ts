/**
 * Exchange API keys as a typed kind of secret: which exchanges, what a credential holds, what
 * the vault learns when it asks the exchange about the key, and the port that asks.
 *
 * The rules applied to what the exchange answers live beside this file
 * (`exchange-check-policy.ts`, `exchange-key-expiry.ts`) and are re-exported here, so callers
 * import one module.
 */
import * as z from 'zod/mini';
import { ValidationError } from './errors';

export const EXCHANGES = ['binance', 'okx', 'bybit', 'bitget', 'gate', 'bingx', 'kucoin'] as const;
export type Exchange = (typeof EXCHANGES)[number];

export function isExchange(value: unknown): value is Exchange {
  return typeof value === 'string' && (EXCHANGES as readonly string[]).includes(value);
}

/** The parts an exchange issues for one API key. `passphrase` exists only on OKX, Bitget and KuCoin. */
export interface ExchangeCredential {
  apiKey: string;
  secretKey: string;
  passphrase?: string;
}

/** Exchanges whose keys come with a user-chosen passphrase that every request must carry. */
export const PASSPHRASE_EXCHANGES: ReadonlySet<Exchange> = new Set<Exchange>(['okx', 'bitget', 'kucoin']);

/**
 * Printable ASCII without spaces. Every part of an HMAC credential the exchanges issue fits;
 * RSA and Ed25519 keys (whose secret is a PEM block with spaces and newlines) do not, and the
 * vault could not sign with them anyway.
 */
const TOKEN = /^[\x21-\x7e]+$/;
const API_KEY_MAX = 256;
const SECRET_MAX = 512;
const PASSPHRASE_MAX = 128;

/**
 * Formats the exchanges document with confidence. Anything only observed (Binance's 64
 * characters, Bitget's `bg_` prefix, OKX's UUIDs) is not enforced: refusing a real key for a
 * guessed format would be worse than letting the live check refuse it.
 */
const FORMATS: Partial<Record<Exchange, { apiKey?: [RegExp, string]; passphrase?: [RegExp, string] }>> = {
  kucoin: { apiKey: [/^[0-9a-fA-F]{24}$/, 'apiKey: a KuCoin key is 24 hexadecimal characters'] },
  bitget: { passphrase: [/^[A-Za-z0-9]{8,32}$/, 'passphrase: a Bitget passphrase is 8 to 32 letters and digits'] },
};

/**
 * Every message here is written out by hand and none quotes the input: the input is a secret.
 * (zod's own messages quote neither, but a wrong message here would leak, so none is left to it.)
 */
function part(name: string, max: number, format?: [RegExp, string]) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? `${name}: is required` : `${name}: must be a string`) })
    .check(
      z.minLength(1, { error: `${name}: must not be empty` }),
      z.maxLength(max, { error: `${name}: must be at most ${max} characters` }),
      z.regex(TOKEN, { error: `${name}: must be printable ASCII without spaces` }),
      ...(format ? [z.regex(format[0], { error: format[1] })] : []),
    );
}

/**
 * The value schema of an exchange key: `apiKey`, `secretKey`, and `passphrase` exactly where
 * the exchange issues one; nothing else. A strict object, so a stray field (a second secret,
 * a typo) is refused instead of being sealed away unseen. Issue paths and messages never hold
 * input; an `unrecognized_keys` issue's `keys` array does (the stray field names), so format
 * issues by path and message only, as `parseExchangeCredential` does.
 */
export function exchangeCredentialSchema(exchange: Exchange) {
  const format = FORMATS[exchange];
  const apiKey = part('apiKey', API_KEY_MAX, format?.apiKey);
  const passphrase = part('passphrase', PASSPHRASE_MAX, format?.passphrase);
  const shape = { apiKey, secretKey: part('secretKey', SECRET_MAX) };
  const allowed = PASSPHRASE_EXCHANGES.has(exchange) ? 'apiKey, secretKey and passphrase' : 'apiKey and secretKey';
  // The unknown-key message does not name the fields: a field name is input too, and someone
  // pasting a key into the wrong place would see it echoed.
  const strict = {
    error: (issue: { code?: string }) =>
      issue.code === 'unrecognized_keys' ? `value: only ${allowed} are allowed` : 'value: must be an object',
  };
  return PASSPHRASE_EXCHANGES.has(exchange)
    ? z.strictObject({ ...shape, passphrase }, strict)
    : z.strictObject(shape, strict);
}

/**
 * Validates a submitted value as a credential for `exchange`. Throws ValidationError whose
 * message and issues name fields and rules, never values.
 */
export function parseExchangeCredential(exchange: Exchange, value: unknown): ExchangeCredential {
  const result = exchangeCredentialSchema(exchange).safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => issue.message);
  throw new ValidationError(`invalid ${exchange} credential`, issues);
}

/**
 * What the masked view shows of an API key: the first and last 4 characters with a fixed mask
 * between. The mask has a fixed width so the hint does not tell the key's length. A key shorter
 * than 16 characters shows at most a quarter of its length at each end (so never more than
 * half of it): 12-15 characters show 3 each side, 8-11 show 2, 4-7 show 1, under 4 nothing.
 */
export function apiKeyHint(apiKey: string): string {
  const shown = Math.min(4, Math.floor(apiKey.length / 4));
  if (shown === 0) return '****';
  return `${apiKey.slice(0, shown)}****${apiKey.slice(-shown)}`;
}

/** How an expiry was established: the exchange said so, or its documented rule for keys without an IP binding. */
export type ExpiryKind = 'reported' | 'no-ip-binding';

/**
 * What the exchange said about a key, in one shape for every exchange. Each flag is `true`,
 * `false`, or `null` when the answer does not say (which the policy treats as "not proved
 * safe"). Holds no raw body, no secret, no passphrase and no signature, so it may be stored as
 * plaintext metadata.
 */
export interface PermissionCheck {
  exchange: Exchange;
  /** When the vault asked (ISO-8601). */
  checkedAt: string;
  /** Can place orders of any kind. */
  canTrade: boolean | null;
  /** Can trade futures, perpetual swaps or options. */
  canTradeDerivatives: boolean | null;
  /** Can withdraw funds off the exchange. */
  canWithdraw: boolean | null;
  /** Can move funds between accounts or sub-accounts on the exchange. */
  canTransfer: boolean | null;
  /** Has no write permission at all. */
  readOnly: boolean | null;
  /** Bound to a list of caller IP addresses. */
  ipRestricted: boolean | null;
  /** The bound addresses, as the exchange shows them (some mask them). */
  ipWhitelist?: string[];
  /** When the key (or its trading permission) stops working, if known; see `keyExpiry`. */
  expiresAt: string | null;
  expiryKind?: ExpiryKind;
  /** When the exchange says the key was created, where it says. */
  keyCreatedAt?: string;
  /**
   * Facts worth showing that are not refusals, e.g. `inactivity_expiry_14d` (OKX, BingX: a key
   * without an IP binding dies after 14 days unused), `key_not_identified` (Gate listed no
   * single entry matching the key), `key_disabled`, `unrecognised_permissions`.
   */
  warnings: string[];
}

/**
 * What an exchange adapter maps from the exchange's answer: the flags and the raw dates the
 * expiry rules need. `buildPermissionCheck` turns it into a PermissionCheck.
 */
export interface PermissionFacts {
  canTrade: boolean | null;
  canTradeDerivatives: boolean | null;
  canWithdraw: boolean | null;
  canTransfer: boolean | null;
  readOnly: boolean | null;
  ipRestricted: boolean | null;
  ipWhitelist?: string[];
  /** An expiry the exchange itself reports (Bybit `expiredAt`, Binance `tradingAuthorityExpirationTime`). */
  reportedExpiresAt: string | null;
  keyCreatedAt?: string;
  warnings: string[];
}

/** The port: asks an exchange what a key may do, with the key itself. */
export interface ExchangeChecker {
  /**
   * Calls the exchange's self-permission endpoint with `credential`, signed as the exchange
   * specifies, and maps the answer.
   *
   * Throws ExchangeKeyInvalidError (the exchange refused the key, its signature or its
   * passphrase), ExchangeIpNotWhitelistedError (the call came from an address the key is not
   * bound to), or DependencyError with dependency `exchange` (unreachable, timed out, 5xx,
   * rate limited, or an answer that is not the documented shape). Never a message, cause or
   * field holding the secret, the passphrase or a signature.
   */
  check(exchange: Exchange, credential: ExchangeCredential): Promise<PermissionCheck>;
}

export * from './exchange-check-policy';
export * from './exchange-key-expiry';
