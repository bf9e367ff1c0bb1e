/**
 * Gate: `GET /api/v4/account/main_keys`, signed with a hex HMAC-SHA512 over method, path,
 * query, body hash and timestamp in the KEY/Timestamp/SIGN headers
 * (www.gate.com/docs/developers/apiv4/#apiv4-signed-request-requirements).
 */
import * as z from 'zod/mini';
import type { ExchangeCredential, PermissionFacts } from '../../core/exchange-keys';
import { addresses, failure, isoFromMs, isoFromText, type Outcome, safeCode, shaped } from './answer';
import type { ExchangeAnswer, ExchangeApi, SignContext, SignedRequest } from './exchange-api';
import { hmacHex, sha512Hex } from './hmac';

export const GATE_PATH = '/api/v4/account/main_keys';

export interface GateSignInput {
  method: string;
  path: string;
  query: string;
  body: string;
  timestamp: string;
}

/** Gate's signature of `METHOD\npath\nquery\nhex(SHA512(body))\ntimestamp`. */
export function gateSignature(secret: string, input: GateSignInput): string {
  const payload = [input.method, input.path, input.query, sha512Hex(input.body), input.timestamp].join('\n');
  return hmacHex('sha512', secret, payload);
}

export function signGateRequest(credential: ExchangeCredential, { nowMs }: SignContext): SignedRequest {
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    method: 'GET',
    pathAndQuery: GATE_PATH,
    headers: {
      KEY: credential.apiKey,
      Timestamp: timestamp,
      SIGN: gateSignature(credential.secretKey, { method: 'GET', path: GATE_PATH, query: '', body: '', timestamp }),
      Accept: 'application/json',
    },
  };
}

const ERRORS: Record<string, Outcome> = {
  INVALID_KEY: 'unknown_key',
  INVALID_SIGNATURE: 'signature',
  INVALID_CREDENTIALS: 'unknown_key',
  IP_FORBIDDEN: 'ip',
  REQUEST_EXPIRED: 'timestamp',
  FORBIDDEN: 'permission',
  READ_ONLY: 'permission',
  ACCOUNT_LOCKED: 'account',
  TOO_MANY_REQUESTS: 'rate_limited',
  SERVER_ERROR: 'unavailable',
  TOO_BUSY: 'unavailable',
  MISSING_REQUIRED_HEADER: 'bad_request',
  INVALID_PARAM_VALUE: 'bad_request',
};

const entry = z.object({
  key: z.string(),
  state: z.optional(z.number()),
  ip_whitelist: z.nullish(z.array(z.string())),
  perms: z.nullish(z.array(z.object({ name: z.string(), read_only: z.boolean() }))),
  created_at: z.optional(z.union([z.string(), z.number()])),
});
const mainKeys = z.array(entry);
type GateKey = z.output<typeof entry>;

const DERIVATIVES = ['futures', 'delivery', 'options'];
const TRADING = [...DERIVATIVES, 'spot', 'margin', 'unified'];

/**
 * The listing masks every key (`c5dcfbf1f3a7*****`); the submitted key's entry is the one whose
 * visible prefix it starts with. None, or more than one, and the vault cannot know which
 * permissions are the submitted key's: every flag is then unknown.
 */
export function findGateKey(keys: readonly GateKey[], apiKey: string): GateKey | undefined {
  const matches = keys.filter((key) => {
    const prefix = key.key.replace(/\*+$/, '');
    return prefix.length > 0 && apiKey.startsWith(prefix);
  });
  return matches.length === 1 ? matches[0] : undefined;
}

function createdAt(value: string | number | undefined): string | undefined {
  // Gate's key timestamps are seconds; the SDK models type them as strings.
  if (value === undefined) return undefined;
  if (typeof value === 'number' || /^\d+$/.test(value)) return isoFromMs(Number(value) * 1000);
  return isoFromText(value);
}

/**
 * Gate's key settings offer withdrawal as a permission of its own, but its API docs name no
 * `perms` entry for it. A writable entry named `withdraw` is taken as withdraw-capable (the
 * cautious reading); its absence proves nothing, so withdrawal stays unknown and the policy
 * refuses the key unless the deployment allows it (`gate:withdraw`).
 */
export function mapGatePermissions(key: GateKey | undefined): PermissionFacts {
  if (!key) {
    return {
      canTrade: null,
      canTradeDerivatives: null,
      canWithdraw: null,
      canTransfer: null,
      readOnly: null,
      ipRestricted: null,
      reportedExpiresAt: null,
      warnings: ['key_not_identified'],
    };
  }
  const writable = new Set((key.perms ?? []).filter((perm) => !perm.read_only).map((perm) => perm.name));
  const canTradeDerivatives = DERIVATIVES.some((name) => writable.has(name));
  const canTrade = TRADING.some((name) => writable.has(name));
  const canWithdraw = writable.has('withdraw') ? true : null;
  const canTransfer = writable.has('wallet');
  const whitelist = addresses(key.ip_whitelist ?? []);
  const facts: PermissionFacts = {
    canTrade,
    canTradeDerivatives,
    canWithdraw,
    canTransfer,
    readOnly: writable.size === 0,
    ipRestricted: whitelist.length > 0,
    reportedExpiresAt: null,
    warnings: key.state !== undefined && key.state !== 1 ? ['key_disabled'] : [],
  };
  if (whitelist.length > 0) facts.ipWhitelist = whitelist;
  const created = createdAt(key.created_at);
  if (created) facts.keyCreatedAt = created;
  return facts;
}

export function interpretGate(answer: ExchangeAnswer): PermissionFacts {
  // Success is a bare array; an error is `{label, message}`.
  if (answer.status === 200 && Array.isArray(answer.body)) {
    return mapGatePermissions(findGateKey(shaped('gate', mainKeys, answer), answer.apiKey));
  }
  const label = safeCode((answer.body as { label?: unknown } | undefined)?.label);
  throw failure('gate', answer, label, ERRORS, { resetAtMsHeader: 'x-gate-ratelimit-reset-timestamp' });
}

export const gateApi: ExchangeApi = {
  exchange: 'gate',
  defaultBaseUrl: 'https://api.gateio.ws',
  sign: signGateRequest,
  interpret: interpretGate,
};
