/**
 * Bitget (classic accounts): `GET /api/v2/spot/account/info`, signed with a base64
 * HMAC-SHA256 of timestamp, method, path and query in the ACCESS-* headers
 * (www.bitget.com/api-doc/common/signature).
 */
import * as z from 'zod/mini';
import type { ExchangeCredential, PermissionFacts } from '../../core/exchange-keys';
import { addresses, failure, type Outcome, safeCode, shaped } from './answer';
import type { ExchangeAnswer, ExchangeApi, SignContext, SignedRequest } from './exchange-api';
import { hmacBase64 } from './hmac';

export const BITGET_PATH = '/api/v2/spot/account/info';

/** Bitget's signature of `timestamp + METHOD + requestPath + ("?" + query) + body`. */
export function bitgetSignature(secret: string, prehash: string): string {
  return hmacBase64(secret, prehash);
}

export function signBitgetRequest(credential: ExchangeCredential, { nowMs }: SignContext): SignedRequest {
  const timestamp = String(nowMs);
  return {
    method: 'GET',
    pathAndQuery: BITGET_PATH,
    headers: {
      'ACCESS-KEY': credential.apiKey,
      'ACCESS-SIGN': bitgetSignature(credential.secretKey, `${timestamp}GET${BITGET_PATH}`),
      'ACCESS-TIMESTAMP': timestamp,
      'ACCESS-PASSPHRASE': credential.passphrase ?? '',
      'Content-Type': 'application/json',
      locale: 'en-US',
    },
  };
}

const ERRORS: Record<string, Outcome> = {
  '40006': 'unknown_key',
  '40037': 'unknown_key',
  '40009': 'signature',
  '40010': 'signature',
  '40012': 'passphrase',
  '40018': 'ip',
  '40004': 'timestamp',
  '40005': 'timestamp',
  '40008': 'timestamp',
  '40014': 'permission',
  '429': 'rate_limited',
  '40001': 'bad_request',
  '40002': 'bad_request',
  '40003': 'bad_request',
  '40011': 'bad_request',
};

/** Documented authority codes: the last letter says read (`r`) or write (`w`). */
const READ = ['coor', 'cpor', 'stor', 'smor', 'ttor', 'wtor', 'taxr', 'chor', 'p2pr'];
const WRITE = ['coow', 'cpow', 'stow', 'smow', 'ttow', 'wtow', 'wwow', 'chow', 'p2pw', 'pllw', 'taxw'];
const KNOWN = new Set([...READ, ...WRITE]);

const info = z.object({
  code: z.literal('00000'),
  data: z.object({
    ips: z.optional(z.string()),
    authorities: z.array(z.string()),
  }),
});

/**
 * `wwow` is withdrawal, `wtow` wallet transfer, `coow`/`cpow` futures orders and positions.
 * An unrecognised code is reported as a warning; it cannot be withdrawal, which is `wwow`.
 */
export function mapBitgetPermissions(data: { ips?: string | undefined; authorities: string[] }): PermissionFacts {
  const auth = new Set(data.authorities);
  const canTradeDerivatives = auth.has('coow') || auth.has('cpow');
  const canTrade = canTradeDerivatives || auth.has('stow') || auth.has('smow');
  const ips = data.ips?.trim();
  const facts: PermissionFacts = {
    canTrade,
    canTradeDerivatives,
    canWithdraw: auth.has('wwow'),
    canTransfer: auth.has('wtow'),
    readOnly:
      !data.authorities.some((code) => WRITE.includes(code)) && data.authorities.every((code) => KNOWN.has(code)),
    ipRestricted: ips === undefined ? null : ips !== '',
    reportedExpiresAt: null,
    warnings: data.authorities.every((code) => KNOWN.has(code)) ? [] : ['unrecognised_permissions'],
  };
  if (ips) facts.ipWhitelist = addresses(ips.split(','));
  return facts;
}

export function interpretBitget(answer: ExchangeAnswer): PermissionFacts {
  const code = safeCode((answer.body as { code?: unknown } | undefined)?.code);
  if (code === '00000') return mapBitgetPermissions(shaped('bitget', info, answer).data);
  throw failure('bitget', answer, code, ERRORS);
}

export const bitgetApi: ExchangeApi = {
  exchange: 'bitget',
  defaultBaseUrl: 'https://api.bitget.com',
  sign: signBitgetRequest,
  interpret: interpretBitget,
};
