/**
 * OKX: `GET /api/v5/account/config`, signed with a base64 HMAC-SHA256 of timestamp, method and
 * path in the OK-ACCESS-* headers (www.okx.com/docs-v5/en/#overview-rest-authentication).
 */
import * as z from 'zod/mini';
import type { ExchangeCredential, PermissionFacts } from '../../core/exchange-keys';
import { addresses, failure, noneOf, type Outcome, safeCode, shaped } from './answer';
import type { ExchangeAnswer, ExchangeApi, SignContext, SignedRequest } from './exchange-api';
import { hmacBase64 } from './hmac';

export const OKX_PATH = '/api/v5/account/config';

/** OKX's signature of `timestamp + METHOD + requestPath + body`. */
export function okxSignature(secret: string, prehash: string): string {
  return hmacBase64(secret, prehash);
}

export function signOkxRequest(credential: ExchangeCredential, { nowMs }: SignContext): SignedRequest {
  const timestamp = new Date(nowMs).toISOString();
  return {
    method: 'GET',
    pathAndQuery: OKX_PATH,
    headers: {
      'OK-ACCESS-KEY': credential.apiKey,
      'OK-ACCESS-SIGN': okxSignature(credential.secretKey, `${timestamp}GET${OKX_PATH}`),
      'OK-ACCESS-TIMESTAMP': timestamp,
      'OK-ACCESS-PASSPHRASE': credential.passphrase ?? '',
    },
  };
}

const ERRORS: Record<string, Outcome> = {
  '50111': 'unknown_key',
  '50119': 'unknown_key',
  '50100': 'account',
  '50101': 'unknown_key',
  '50113': 'signature',
  '50105': 'passphrase',
  '50110': 'ip',
  '50102': 'timestamp',
  '50112': 'timestamp',
  '50120': 'permission',
  '50011': 'rate_limited',
  '50061': 'rate_limited',
  '50001': 'unavailable',
  '50004': 'unavailable',
  '50013': 'unavailable',
  '50026': 'unavailable',
  '50103': 'bad_request',
  '50104': 'bad_request',
  '50106': 'bad_request',
  '50107': 'bad_request',
};

const config = z.object({
  code: z.literal('0'),
  data: z
    .array(
      z.object({
        perm: z.string(),
        ip: z.optional(z.string()),
        acctLv: z.optional(z.string()),
      }),
    )
    .check(z.length(1)),
});

/**
 * `perm` lists read_only, trade and withdraw. OKX defines trade as "place and cancel orders,
 * funding transfer, make settings", so a trading key can always transfer. Account level 1 is
 * spot mode, which cannot trade swaps or futures.
 */
export function mapOkxPermissions(entry: {
  perm: string;
  ip?: string | undefined;
  acctLv?: string | undefined;
}): PermissionFacts {
  const perms = new Set(entry.perm.split(',').map((perm) => perm.trim()));
  const canTrade = perms.has('trade');
  const canWithdraw = perms.has('withdraw');
  const canTradeDerivatives = !canTrade ? false : entry.acctLv === undefined ? null : entry.acctLv !== '1';
  const whitelist = entry.ip === undefined ? undefined : addresses(entry.ip.split(','));
  const facts: PermissionFacts = {
    canTrade,
    canTradeDerivatives,
    canWithdraw,
    canTransfer: canTrade,
    readOnly: noneOf(canTrade, canWithdraw),
    ipRestricted: entry.ip === undefined ? null : entry.ip.trim() !== '',
    reportedExpiresAt: null,
    warnings: [],
  };
  if (whitelist && whitelist.length > 0) facts.ipWhitelist = whitelist;
  return facts;
}

export function interpretOkx(answer: ExchangeAnswer): PermissionFacts {
  const code = safeCode((answer.body as { code?: unknown } | undefined)?.code);
  if (code === '0') return mapOkxPermissions(shaped('okx', config, answer).data[0]!);
  throw failure('okx', answer, code, ERRORS);
}

export const okxApi: ExchangeApi = {
  exchange: 'okx',
  defaultBaseUrl: 'https://www.okx.com',
  sign: signOkxRequest,
  interpret: interpretOkx,
};
