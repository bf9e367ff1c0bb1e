/**
 * KuCoin: `GET /api/v1/user/api-key`, signed with a base64 HMAC-SHA256 of timestamp, method and
 * endpoint in the KC-API-* headers, key version 3 (www.kucoin.com/docs-new/authentication).
 */
import * as z from 'zod/mini';
import type { ExchangeCredential, PermissionFacts } from '../../core/exchange-keys';
import { addresses, anyOf, failure, isoFromMs, type Outcome, safeCode, shaped } from './answer';
import type { ExchangeAnswer, ExchangeApi, SignContext, SignedRequest } from './exchange-api';
import { hmacBase64 } from './hmac';

export const KUCOIN_PATH = '/api/v1/user/api-key';

/** KuCoin's signature of `timestamp + METHOD + endpoint (+ ?query) + body`. */
export function kucoinSignature(secret: string, prehash: string): string {
  return hmacBase64(secret, prehash);
}

/**
 * For key versions 2 and 3 KuCoin's docs (and its own SDK) send the passphrase HMACed with the
 * secret, never in the clear; some clients send it plain for version 3, which KuCoin's docs do
 * not describe.
 */
export function kucoinPassphrase(secret: string, passphrase: string): string {
  return hmacBase64(secret, passphrase);
}

export function signKucoinRequest(credential: ExchangeCredential, { nowMs }: SignContext): SignedRequest {
  const timestamp = String(nowMs);
  return {
    method: 'GET',
    pathAndQuery: KUCOIN_PATH,
    headers: {
      'KC-API-KEY': credential.apiKey,
      'KC-API-SIGN': kucoinSignature(credential.secretKey, `${timestamp}GET${KUCOIN_PATH}`),
      'KC-API-TIMESTAMP': timestamp,
      'KC-API-PASSPHRASE': kucoinPassphrase(credential.secretKey, credential.passphrase ?? ''),
      'KC-API-KEY-VERSION': '3',
    },
  };
}

const ERRORS: Record<string, Outcome> = {
  '400003': 'unknown_key',
  '400004': 'passphrase',
  '400005': 'signature',
  '400006': 'ip',
  '400002': 'timestamp',
  '400007': 'permission',
  '411100': 'account',
  '429000': 'rate_limited',
  '500000': 'unavailable',
  '400001': 'bad_request',
};

const apiKey = z.object({
  code: z.literal('200000'),
  data: z.object({
    permission: z.string(),
    ipWhitelist: z.nullish(z.string()),
    createdAt: z.optional(z.number()),
  }),
});

/** `permission` is a comma list: `Futures` trades futures, `Transfer` withdraws, `InnerTransfer` moves between accounts. */
export function mapKucoinPermissions(data: {
  permission: string;
  ipWhitelist?: string | null | undefined;
  createdAt?: number | undefined;
}): PermissionFacts {
  const perms = new Set(data.permission.split(',').map((perm) => perm.trim()));
  const canTradeDerivatives = perms.has('Futures');
  const canTrade = anyOf(canTradeDerivatives, perms.has('Spot'), perms.has('Margin'));
  const canWithdraw = perms.has('Transfer');
  const canTransfer = perms.has('InnerTransfer');
  const ips = data.ipWhitelist === undefined || data.ipWhitelist === null ? undefined : data.ipWhitelist.trim();
  const facts: PermissionFacts = {
    canTrade,
    canTradeDerivatives,
    canWithdraw,
    canTransfer,
    readOnly: !(canTrade || canWithdraw || canTransfer),
    ipRestricted: ips === undefined ? null : ips !== '',
    reportedExpiresAt: null,
    warnings: [],
  };
  if (ips) facts.ipWhitelist = addresses(ips.split(','));
  const created = isoFromMs(data.createdAt);
  if (created) facts.keyCreatedAt = created;
  return facts;
}

export function interpretKucoin(answer: ExchangeAnswer): PermissionFacts {
  const code = safeCode((answer.body as { code?: unknown } | undefined)?.code);
  if (code === '200000') return mapKucoinPermissions(shaped('kucoin', apiKey, answer).data);
  throw failure('kucoin', answer, code, ERRORS, { resetInMsHeader: 'gw-ratelimit-reset' });
}

export const kucoinApi: ExchangeApi = {
  exchange: 'kucoin',
  defaultBaseUrl: 'https://api.kucoin.com',
  sign: signKucoinRequest,
  interpret: interpretKucoin,
};
