/**
 * Bybit v5: `GET /v5/user/query-api`, signed with a hex HMAC-SHA256 of timestamp, key, receive
 * window and query string in the X-BAPI-* headers (bybit-exchange.github.io/docs/v5/guide).
 */
import * as z from 'zod/mini';
import type { ExchangeCredential, PermissionFacts } from '../../core/exchange-keys';
import { addresses, anyOf, failure, isoFromText, type Outcome, safeCode, shaped } from './answer';
import type { ExchangeAnswer, ExchangeApi, SignContext, SignedRequest } from './exchange-api';
import { hmacHex } from './hmac';

export const BYBIT_PATH = '/v5/user/query-api';

/** Bybit's signature of `timestamp + apiKey + recvWindow + (queryString | jsonBody)`. */
export function bybitSignature(secret: string, prehash: string): string {
  return hmacHex('sha256', secret, prehash);
}

export function signBybitRequest(credential: ExchangeCredential, { nowMs, recvWindowMs }: SignContext): SignedRequest {
  const timestamp = String(nowMs);
  const recvWindow = String(recvWindowMs);
  return {
    method: 'GET',
    pathAndQuery: BYBIT_PATH,
    headers: {
      'X-BAPI-API-KEY': credential.apiKey,
      'X-BAPI-TIMESTAMP': timestamp,
      'X-BAPI-RECV-WINDOW': recvWindow,
      'X-BAPI-SIGN': bybitSignature(credential.secretKey, `${timestamp}${credential.apiKey}${recvWindow}`),
    },
  };
}

const ERRORS: Record<string, Outcome> = {
  '10003': 'unknown_key',
  '10004': 'signature',
  '10005': 'permission',
  '10007': 'unknown_key',
  '10010': 'ip',
  '10002': 'timestamp',
  '33004': 'expired',
  '10006': 'rate_limited',
  '10018': 'rate_limited',
  '10000': 'unavailable',
  '10016': 'unavailable',
  '10001': 'bad_request',
};

const list = z.optional(z.array(z.string()));
const queryApi = z.object({
  retCode: z.literal(0),
  result: z.object({
    readOnly: z.union([z.literal(0), z.literal(1)]),
    permissions: z.object({
      ContractTrade: list,
      Spot: list,
      Wallet: list,
      Options: list,
      Derivatives: list,
    }),
    ips: z.optional(z.array(z.string())),
    expiredAt: z.optional(z.string()),
    createdAt: z.optional(z.string()),
  }),
});

type QueryApi = z.output<typeof queryApi>['result'];

/**
 * `readOnly` 1 means no write permission whatever the permission lists say; `ips` is `["*"]`
 * when no address is bound.
 */
export function mapBybitPermissions(result: QueryApi): PermissionFacts {
  const writable = result.readOnly === 0;
  const has = (group: string[] | undefined, ...names: string[]) =>
    writable && (group ?? []).some((name) => names.includes(name));
  const p = result.permissions;
  const canTradeDerivatives =
    has(p.ContractTrade, 'Order', 'Position') ||
    has(p.Derivatives, 'DerivativesTrade') ||
    has(p.Options, 'OptionsTrade');
  const canTrade = anyOf(canTradeDerivatives, has(p.Spot, 'SpotTrade'));
  const ips = result.ips;
  const ipRestricted = ips === undefined ? null : !(ips.length === 0 || ips.includes('*'));
  const facts: PermissionFacts = {
    canTrade,
    canTradeDerivatives,
    canWithdraw: has(p.Wallet, 'Withdraw'),
    canTransfer: has(p.Wallet, 'AccountTransfer', 'SubMemberTransfer', 'SubMemberTransferList'),
    readOnly: !writable,
    ipRestricted,
    reportedExpiresAt: isoFromText(result.expiredAt) ?? null,
    warnings: [],
  };
  if (ipRestricted && ips) facts.ipWhitelist = addresses(ips);
  const created = isoFromText(result.createdAt);
  if (created) facts.keyCreatedAt = created;
  return facts;
}

export function interpretBybit(answer: ExchangeAnswer): PermissionFacts {
  const code = safeCode((answer.body as { retCode?: unknown } | undefined)?.retCode);
  if (code === '0') return mapBybitPermissions(shaped('bybit', queryApi, answer).result);
  throw failure('bybit', answer, code, ERRORS, { resetAtMsHeader: 'x-bapi-limit-reset-timestamp' });
}

export const bybitApi: ExchangeApi = {
  exchange: 'bybit',
  defaultBaseUrl: 'https://api.bybit.com',
  sign: signBybitRequest,
  interpret: interpretBybit,
};
