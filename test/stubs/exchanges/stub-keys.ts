/**
 * The keys every stub exchange knows. The demo keys are the ones the README session stores;
 * the fixture keys make each failure reachable by choosing a key.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type Profile =
  | 'trade'
  | 'withdraw'
  | 'readonly'
  | 'noip'
  | 'ip-blocked'
  | 'rate-limited'
  | 'server-error'
  | 'hang';

export interface StubKey {
  apiKey: string;
  secret: string;
  /** Every passphrase the key accepts (a stub may accept a demo alias). */
  passphrases: string[];
  profile: Profile;
  /** Addresses the key is bound to; empty means any. */
  whitelist: string[];
}

export const DEMO_SECRET = 'demo-secret';
export const DEMO_PASSPHRASE = 'demo-passphrase';
/** Bitget passphrases are 8-32 letters and digits, so its demo passphrase drops the hyphen. */
export const BITGET_DEMO_PASSPHRASE = 'demopassphrase';
/** KuCoin keys are 24 hex characters; these stand in for the demo names there. */
export const KUCOIN_DEMO_KEYS: Record<string, string> = {
  'demo-trade': 'de0000000000000000000001',
  'demo-withdraw': 'de0000000000000000000002',
  'demo-readonly': 'de0000000000000000000003',
  'demo-noip': 'de0000000000000000000004',
};

/** Where the vault calls from in the demo and the tests. */
export const LOOPBACK = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];
/** An address from TEST-NET-3 (RFC 5737): never the caller's. */
export const FOREIGN_IP = '203.0.113.7';

export const DEMO_KEYS: ReadonlyArray<[string, Profile]> = [
  ['demo-trade', 'trade'],
  ['demo-withdraw', 'withdraw'],
  ['demo-readonly', 'readonly'],
  ['demo-noip', 'noip'],
];

/** Keys that make each failure happen; `fixture-unknown` is deliberately absent from every stub. */
export const FIXTURE_KEYS: ReadonlyArray<[string, Profile]> = [
  ['fixture-ip-blocked', 'ip-blocked'],
  ['fixture-rate-limited', 'rate-limited'],
  ['fixture-server-error', 'server-error'],
  ['fixture-hang', 'hang'],
];
export const UNKNOWN_KEY = 'fixture-unknown';

export type StubExchange = 'binance' | 'okx' | 'bybit' | 'bitget' | 'gate' | 'bingx' | 'kucoin';

export function stubKeys(exchange: StubExchange): StubKey[] {
  const passphrases = exchange === 'bitget' ? [BITGET_DEMO_PASSPHRASE, DEMO_PASSPHRASE] : [DEMO_PASSPHRASE];
  const key = (apiKey: string, profile: Profile): StubKey => ({
    apiKey,
    secret: DEMO_SECRET,
    passphrases,
    profile,
    whitelist: profile === 'noip' ? [] : profile === 'ip-blocked' ? [FOREIGN_IP] : LOOPBACK,
  });
  const keys = [...DEMO_KEYS, ...FIXTURE_KEYS].map(([apiKey, profile]) => key(apiKey, profile));
  if (exchange === 'kucoin') {
    for (const [name, profile] of DEMO_KEYS) keys.push(key(KUCOIN_DEMO_KEYS[name]!, profile));
  }
  return keys;
}

/** The credential a user copies for one demo key on one exchange. */
export function demoCredential(
  exchange: StubExchange,
  name: string,
): { apiKey: string; secretKey: string; passphrase?: string } {
  const apiKey = exchange === 'kucoin' ? KUCOIN_DEMO_KEYS[name]! : name;
  if (exchange === 'okx' || exchange === 'kucoin')
    return { apiKey, secretKey: DEMO_SECRET, passphrase: DEMO_PASSPHRASE };
  if (exchange === 'bitget') return { apiKey, secretKey: DEMO_SECRET, passphrase: BITGET_DEMO_PASSPHRASE };
  return { apiKey, secretKey: DEMO_SECRET };
}

export interface StubOptions {
  /** Clock for timestamp windows and relative dates (default Date.now). */
  now?: () => number;
  /** Believe every key's secret is this one (to test a wrong secret). */
  secret?: string;
  /** Replace the key table. */
  keys?: StubKey[];
}

export function keyTable(exchange: StubExchange, options: StubOptions): Map<string, StubKey> {
  const keys = options.keys ?? stubKeys(exchange);
  return new Map(
    keys.map((k) => [k.apiKey, options.secret === undefined ? k : { ...k, secret: options.secret }] as const),
  );
}

/** Constant-time comparison of two signatures as text. */
export function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function hmac(algorithm: 'sha256' | 'sha512', key: string, data: string, encoding: 'hex' | 'base64'): string {
  return createHmac(algorithm, key).update(data).digest(encoding);
}

export function allowedFrom(key: StubKey, remoteAddress: string): boolean {
  return key.whitelist.length === 0 || key.whitelist.includes(remoteAddress);
}

export const DAY_MS = 86_400_000;

/** What each profile's key may do; the stubs render it in their exchange's own answer shape. */
export function capabilities(profile: Profile): {
  trade: boolean;
  derivatives: boolean;
  withdraw: boolean;
  transfer: boolean;
} {
  if (profile === 'readonly') return { trade: false, derivatives: false, withdraw: false, transfer: false };
  if (profile === 'withdraw') return { trade: true, derivatives: true, withdraw: true, transfer: true };
  return { trade: true, derivatives: true, withdraw: false, transfer: false };
}
