/**
 * Gate APIv4 as documented: KEY, Timestamp (seconds, within 60 of server time), SIGN = hex
 * HMAC-SHA512 of METHOD\npath\nquery\nhex(SHA512(body))\nTimestamp. `main_keys` lists every key
 * of the caller's main account, masked to a visible prefix. Errors are `{label, message}`.
 *
 * Gate documents no `perms` name for withdrawal; this stub lists a writable `withdraw` entry for
 * the withdraw-enabled demo key, the cautious reading the vault's mapper takes (see gate.ts).
 */
import { createHash } from 'node:crypto';
import { allowedFrom, capabilities, DAY_MS, hmac, keyTable, type StubKey, type StubOptions, same } from './stub-keys';
import { type StubHandler, type StubReply, startStub } from './stub-server';

const err = (status: number, label: string, message: string, headers?: Record<string, string>): StubReply => ({
  status,
  body: { label, message },
  ...(headers ? { headers } : {}),
});

/** Gate shows a prefix of each key and stars; short demo keys keep their last two characters hidden. */
export function gateMask(apiKey: string): string {
  return `${apiKey.slice(0, Math.min(12, apiKey.length - 2))}*****`;
}

export function gateHandler(options: StubOptions = {}): StubHandler {
  const keys = keyTable('gate', options);
  const now = options.now ?? Date.now;
  const entry = (key: StubKey, serverTime: number) => {
    const can = capabilities(key.profile);
    const perms = [
      { name: 'futures', read_only: !can.derivatives },
      { name: 'spot', read_only: !can.trade },
      ...(can.transfer ? [{ name: 'wallet', read_only: false }] : []),
      ...(can.withdraw ? [{ name: 'withdraw', read_only: false }] : []),
    ];
    const created = Math.floor((serverTime - 10 * DAY_MS) / 1000);
    return {
      state: 1,
      mode: 1,
      name: key.apiKey,
      currency_pairs: [],
      user_id: 10001,
      ip_whitelist: key.whitelist,
      perms,
      key: gateMask(key.apiKey),
      created_at: String(created),
      updated_at: String(created),
      last_access: String(Math.floor(serverTime / 1000)),
    };
  };
  return (req) => {
    if (req.method !== 'GET' || req.path !== '/api/v4/account/main_keys') return err(404, 'NOT_FOUND', 'Not found');
    const h = req.headers;
    if (!h.key || !h.sign || !h.timestamp) return err(400, 'MISSING_REQUIRED_HEADER', 'Missing required header');
    const serverTime = now();
    if (!/^\d+(\.\d+)?$/.test(h.timestamp) || Math.abs(serverTime / 1000 - Number(h.timestamp)) > 60) {
      return err(401, 'REQUEST_EXPIRED', 'Request timestamp expired');
    }
    const key = keys.get(h.key);
    if (!key) return err(401, 'INVALID_KEY', 'Invalid key provided');
    const bodyHash = createHash('sha512').update(req.body).digest('hex');
    const payload = `${req.method}\n${req.path}\n${req.rawQuery}\n${bodyHash}\n${h.timestamp}`;
    if (!same(h.sign, hmac('sha512', key.secret, payload, 'hex')))
      return err(401, 'INVALID_SIGNATURE', 'Signature mismatch');
    if (!allowedFrom(key, req.remoteAddress))
      return err(403, 'IP_FORBIDDEN', `Request IP not in whitelist: ${req.remoteAddress}`);
    if (key.profile === 'rate-limited') {
      return err(429, 'TOO_MANY_REQUESTS', 'Request Rate limit Exceeded', {
        'X-Gate-RateLimit-Requests-Remain': '0',
        'X-Gate-RateLimit-Limit': '200',
        'X-Gate-RateLimit-Reset-Timestamp': String(serverTime + 9000),
      });
    }
    if (key.profile === 'server-error') return err(500, 'SERVER_ERROR', 'Internal server error');
    if (key.profile === 'hang') return 'hang';
    // The caller's main account holds its key and one other, so the caller's entry has to be found.
    const other = entry(
      { apiKey: 'c5dcfbf1f3a7d0e4b2a91c77f0e3a5b9', secret: '', passphrases: [], profile: 'withdraw', whitelist: [] },
      serverTime,
    );
    return { status: 200, body: [other, entry(key, serverTime)] };
  };
}

export const startGateStub = (options: StubOptions = {}, port = 0) => startStub(gateHandler(options), port);
