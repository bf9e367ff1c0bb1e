/**
 * BingX: `GET /openApi/v1/account/apiPermissions`, signed by appending a hex HMAC-SHA256 of the
 * parameter string (bingx-api.github.io/docs/#/en-us/common/authentication).
 */
import * as z from 'zod/mini';
import type { ExchangeCredential, PermissionFacts } from '../../core/exchange-keys';
import { addresses, failure, noneOf, type Outcome, safeCode, shaped } from './answer';
import type { ExchangeAnswer, ExchangeApi, SignContext, SignedRequest } from './exchange-api';
import { hmacHex } from './hmac';

export const BINGX_PATH = '/openApi/v1/account/apiPermissions';

/** BingX's signature of the parameter string, `k=v&...` with unencoded values. */
export function bingxSignature(secret: string, parameters: string): string {
  return hmacHex('sha256', secret, parameters);
}

/**
 * BingX verifies the parameter string as it arrives, so the string signed is exactly the string
 * sent: built once, used twice. Parameters are sorted by name, the usual client convention.
 */
export function signBingxRequest(credential: ExchangeCredential, { nowMs }: SignContext): SignedRequest {
  const parameters = [['timestamp', String(nowMs)]]
    .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return {
    method: 'GET',
    pathAndQuery: `${BINGX_PATH}?${parameters}&signature=${bingxSignature(credential.secretKey, parameters)}`,
    headers: { 'X-BX-APIKEY': credential.apiKey },
  };
}

const ERRORS: Record<string, Outcome> = {
  '100413': 'unknown_key',
  '100001': 'signature',
  '100419': 'ip',
  '100421': 'timestamp',
  '100410': 'rate_limited',
  '100500': 'unavailable',
  '100503': 'unavailable',
  '100202': 'permission',
  '100400': 'bad_request',
};

const permissions = z.object({
  code: z.literal(0),
  data: z.object({
    permissions: z.array(z.int()),
    ipAddresses: z.nullish(z.array(z.string())),
  }),
});

/** Permission numbers: 1 spot trading, 2 read, 3 perpetual futures, 4 universal transfer, 5 withdraw, 7 sub-account transfer. */
export function mapBingxPermissions(data: {
  permissions: number[];
  ipAddresses?: string[] | null | undefined;
}): PermissionFacts {
  const has = (n: number) => data.permissions.includes(n);
  const canTradeDerivatives = has(3);
  const canTrade = has(1) || canTradeDerivatives;
  const canWithdraw = has(5);
  const canTransfer = has(4) || has(7);
  const whitelist =
    data.ipAddresses === undefined || data.ipAddresses === null ? undefined : addresses(data.ipAddresses);
  const facts: PermissionFacts = {
    canTrade,
    canTradeDerivatives,
    canWithdraw,
    canTransfer,
    readOnly: noneOf(canTrade, canWithdraw, canTransfer),
    ipRestricted: whitelist === undefined ? null : whitelist.length > 0,
    reportedExpiresAt: null,
    warnings: data.permissions.every((n) => [1, 2, 3, 4, 5, 7].includes(n)) ? [] : ['unrecognised_permissions'],
  };
  if (whitelist && whitelist.length > 0) facts.ipWhitelist = whitelist;
  return facts;
}

export function interpretBingx(answer: ExchangeAnswer): PermissionFacts {
  const code = safeCode((answer.body as { code?: unknown } | undefined)?.code);
  if (code === '0') return mapBingxPermissions(shaped('bingx', permissions, answer).data);
  throw failure('bingx', answer, code, ERRORS);
}

export const bingxApi: ExchangeApi = {
  exchange: 'bingx',
  defaultBaseUrl: 'https://open-api.bingx.com',
  sign: signBingxRequest,
  interpret: interpretBingx,
};
