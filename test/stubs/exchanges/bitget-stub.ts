/**
 * Bitget as documented: ACCESS-KEY, -SIGN, -TIMESTAMP (ms, within 30 seconds), -PASSPHRASE in
 * the clear; SIGN = base64 HMAC-SHA256 of timestamp + METHOD + requestPath + ("?" + query) +
 * body. Answers `{code, msg, requestTime, data}`, code "00000" on success.
 */

import { allowedFrom, capabilities, hmac, keyTable, type StubOptions, same } from './stub-keys';
import { type StubHandler, type StubReply, startStub } from './stub-server';

export function bitgetHandler(options: StubOptions = {}): StubHandler {
  const keys = keyTable('bitget', options);
  const now = options.now ?? Date.now;
  const reply = (status: number, code: string, msg: string, data: unknown = null): StubReply => ({
    status,
    body: { code, msg, requestTime: now(), data },
  });
  return (req) => {
    if (req.method !== 'GET' || req.path !== '/api/v2/spot/account/info')
      return reply(404, '40404', 'Request URL NOT FOUND');
    const h = req.headers;
    if (!h['access-key']) return reply(400, '40001', 'ACCESS_KEY cannot be empty');
    if (!h['access-sign']) return reply(400, '40002', 'ACCESS_SIGN cannot be empty');
    const timestamp = h['access-timestamp'];
    if (!timestamp) return reply(400, '40003', 'ACCESS_TIMESTAMP cannot be empty');
    if (!h['access-passphrase']) return reply(400, '40011', 'ACCESS_PASSPHRASE cannot be empty');
    if (!/^\d{13}$/.test(timestamp)) return reply(400, '40005', 'Invalid ACCESS_TIMESTAMP');
    if (Math.abs(now() - Number(timestamp)) > 30_000) return reply(400, '40008', 'Request timestamp expired');
    const key = keys.get(h['access-key']);
    if (!key) return reply(400, '40006', 'Invalid ACCESS_KEY');
    const query = req.rawQuery === '' ? '' : `?${req.rawQuery}`;
    const expected = hmac(
      'sha256',
      key.secret,
      `${timestamp}${req.method.toUpperCase()}${req.path}${query}${req.body}`,
      'base64',
    );
    if (!same(h['access-sign'], expected)) return reply(400, '40009', 'sign signature error');
    if (!key.passphrases.includes(h['access-passphrase'])) return reply(400, '40012', 'apikey/password is incorrect');
    if (!allowedFrom(key, req.remoteAddress)) return reply(400, '40018', 'Invalid IP');
    if (key.profile === 'rate-limited') return reply(429, '429', 'Too Many Requests');
    if (key.profile === 'server-error')
      return { status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
    if (key.profile === 'hang') return 'hang';

    const can = capabilities(key.profile);
    const authorities = ['coor', 'cpor', 'stor', 'wtor'];
    if (can.derivatives) authorities.push('coow', 'cpow');
    if (can.trade) authorities.push('stow');
    if (can.transfer) authorities.push('wtow');
    if (can.withdraw) authorities.push('wwow');
    return reply(200, '00000', 'success', {
      userId: '1234567890',
      inviterId: '0',
      ips: key.whitelist.join(','),
      authorities,
      parentId: 1234567890,
      traderType: 'normal',
      channelCode: '',
      channel: '',
      regisTime: String(now() - 86_400_000),
    });
  };
}

export const startBitgetStub = (options: StubOptions = {}, port = 0) => startStub(bitgetHandler(options), port);
