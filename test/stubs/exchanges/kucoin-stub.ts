/**
 * KuCoin as documented: KC-API-KEY, -SIGN, -TIMESTAMP (ms, within 5 seconds), -PASSPHRASE,
 * -KEY-VERSION (2 or 3); SIGN = base64 HMAC-SHA256 of timestamp + METHOD + endpoint (+ ?query)
 * + body; for key versions 2 and 3 the passphrase arrives as base64 HMAC-SHA256(secret,
 * passphrase). Errors are `{code, msg}` with HTTP 401 for authentication.
 */

import { allowedFrom, capabilities, DAY_MS, hmac, keyTable, type StubOptions, same } from './stub-keys';
import { type StubHandler, type StubReply, startStub } from './stub-server';

const err = (status: number, code: string, msg: string, headers?: Record<string, string>): StubReply => ({
  status,
  body: { code, msg },
  ...(headers ? { headers } : {}),
});

/** KuCoin shows whitelisted addresses masked. */
const mask = (ip: string) => ip.replace(/^(\d+)\.\d+\.\d+\.(\d+)$/, '$1.**.$2');

export function kucoinHandler(options: StubOptions = {}): StubHandler {
  const keys = keyTable('kucoin', options);
  const now = options.now ?? Date.now;
  return (req) => {
    if (req.method !== 'GET' || req.path !== '/api/v1/user/api-key') return err(404, '404000', 'Url Not Found');
    const h = req.headers;
    const [apiKey, sign, timestamp, passphrase, version] = [
      h['kc-api-key'],
      h['kc-api-sign'],
      h['kc-api-timestamp'],
      h['kc-api-passphrase'],
      h['kc-api-key-version'],
    ];
    if (!apiKey || !sign || !timestamp || !passphrase) {
      return err(
        401,
        '400001',
        'Please check the header of your request for KC-API-KEY, KC-API-SIGN, KC-API-TIMESTAMP, KC-API-PASSPHRASE',
      );
    }
    if (version !== '2' && version !== '3') return err(401, '400001', 'Invalid KC-API-KEY-VERSION');
    if (!/^\d+$/.test(timestamp) || Math.abs(now() - Number(timestamp)) > 5000) {
      return err(401, '400002', 'KC-API-TIMESTAMP Invalid -- Time differs from server time by more than 5 seconds');
    }
    const key = keys.get(apiKey);
    if (!key) return err(401, '400003', 'KC-API-KEY not exists');
    const endpoint = req.rawQuery === '' ? req.path : `${req.path}?${req.rawQuery}`;
    if (!same(sign, hmac('sha256', key.secret, `${timestamp}${req.method}${endpoint}${req.body}`, 'base64'))) {
      return err(401, '400005', 'Invalid KC-API-SIGN');
    }
    if (!key.passphrases.some((p) => same(passphrase, hmac('sha256', key.secret, p, 'base64')))) {
      return err(401, '400004', 'Invalid KC-API-PASSPHRASE');
    }
    if (!allowedFrom(key, req.remoteAddress))
      return err(401, '400006', 'The requested ip address is not in the api whitelist');
    if (key.profile === 'rate-limited') {
      return err(429, '429000', 'Too Many Requests', {
        'gw-ratelimit-limit': '2000',
        'gw-ratelimit-remaining': '0',
        'gw-ratelimit-reset': '12000',
      });
    }
    if (key.profile === 'server-error') return err(500, '500000', 'Internal Server Error');
    if (key.profile === 'hang') return 'hang';
    const can = capabilities(key.profile);
    const permission = ['General'];
    if (can.trade) permission.push('Spot');
    if (can.derivatives) permission.push('Futures');
    if (can.transfer) permission.push('InnerTransfer');
    if (can.withdraw) permission.push('Transfer');
    return {
      status: 200,
      body: {
        code: '200000',
        data: {
          remark: key.apiKey,
          apiKey: key.apiKey,
          apiVersion: Number(version),
          permission: permission.join(','),
          ipWhitelist: key.whitelist
            .filter((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip))
            .map(mask)
            .join(','),
          createdAt: now() - 10 * DAY_MS,
          uid: 165111215,
          isMaster: true,
        },
      },
    };
  };
}

export const startKucoinStub = (options: StubOptions = {}, port = 0) => startStub(kucoinHandler(options), port);
