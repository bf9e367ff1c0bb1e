/**
 * Binance: `GET /sapi/v1/account/apiRestrictions`, signed by appending a hex HMAC-SHA256 of the
 * query string (developers.binance.com/docs/wallet/account/api-key-permission).
 */
import * as z from 'zod/mini';
import type { ExchangeCredential, PermissionFacts } from '../../core/exchange-keys';
import { anyOf, failure, isoFromMs, noneOf, type Outcome, safeCode, shaped } from './answer';
import type { ExchangeAnswer, ExchangeApi, SignContext, SignedRequest } from './exchange-api';
import { hmacHex } from './hmac';

export const BINANCE_PATH = '/sapi/v1/account/apiRestrictions';

/** Binance's signature of the total parameters (query string, then body), as lowercase hex. */
export function binanceSignature(secret: string, totalParams: string): string {
  return hmacHex('sha256', secret, totalParams);
}

export function signBinanceRequest(
  credential: ExchangeCredential,
  { nowMs, recvWindowMs }: SignContext,
): SignedRequest {
  const query = `timestamp=${nowMs}&recvWindow=${recvWindowMs}`;
  return {
    method: 'GET',
    pathAndQuery: `${BINANCE_PATH}?${query}&signature=${binanceSignature(credential.secretKey, query)}`,
    headers: { 'X-MBX-APIKEY': credential.apiKey },
  };
}

const ERRORS: Record<string, Outcome> = {
  // -2015 is Binance's answer to a bad key, a call from outside the key's whitelist and a
  // missing permission alike: the vault cannot tell them apart and says so.
  '-2015': 'ip_or_key',
  '-2014': 'format',
  '-2008': 'unknown_key',
  '-1022': 'signature',
  '-1021': 'timestamp',
  '-1003': 'rate_limited',
  '-1015': 'rate_limited',
  '-1001': 'unavailable',
  '-1007': 'unavailable',
  '-1008': 'unavailable',
  '-1002': 'permission',
  '-1102': 'bad_request',
  '-1101': 'bad_request',
};

const flag = z.optional(z.boolean());
const restrictions = z.object({
  ipRestrict: flag,
  createTime: z.optional(z.number()),
  enableReading: flag,
  enableWithdrawals: flag,
  enableInternalTransfer: flag,
  permitsUniversalTransfer: flag,
  enableFutures: flag,
  enableMargin: flag,
  enableSpotAndMarginTrading: flag,
  enableVanillaOptions: flag,
  enablePortfolioMarginTrading: flag,
  tradingAuthorityExpirationTime: z.optional(z.number()),
});

/** The permission answer in one shape; a missing flag is unknown, never assumed false. */
export function mapBinancePermissions(body: z.output<typeof restrictions>): PermissionFacts {
  const canTradeDerivatives = body.enableFutures ?? null;
  const canTrade = anyOf(
    body.enableSpotAndMarginTrading,
    body.enableFutures,
    body.enableMargin,
    body.enableVanillaOptions,
    body.enablePortfolioMarginTrading,
  );
  const canWithdraw = body.enableWithdrawals ?? null;
  const canTransfer = anyOf(body.enableInternalTransfer, body.permitsUniversalTransfer);
  const facts: PermissionFacts = {
    canTrade,
    canTradeDerivatives,
    canWithdraw,
    canTransfer,
    readOnly: noneOf(canTrade, canWithdraw, canTransfer),
    ipRestricted: body.ipRestrict ?? null,
    reportedExpiresAt: isoFromMs(body.tradingAuthorityExpirationTime) ?? null,
    warnings: [],
  };
  const created = isoFromMs(body.createTime);
  if (created) facts.keyCreatedAt = created;
  return facts;
}

export function interpretBinance(answer: ExchangeAnswer): PermissionFacts {
  const body = answer.body as { code?: unknown } | undefined;
  // Success is a bare object; an error carries a numeric `code` (negative) and `msg`.
  if (answer.status === 200 && body && typeof body === 'object' && !('code' in body)) {
    return mapBinancePermissions(shaped('binance', restrictions, answer));
  }
  throw failure('binance', answer, safeCode(body?.code), ERRORS);
}

export const binanceApi: ExchangeApi = {
  exchange: 'binance',
  defaultBaseUrl: 'https://api.binance.com',
  sign: signBinanceRequest,
  interpret: interpretBinance,
};
