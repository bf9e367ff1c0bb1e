/**
 * OKX as documented: OK-ACCESS-KEY, -SIGN, -TIMESTAMP (ISO-8601 with milliseconds, within 30
 * seconds of server time), -PASSPHRASE in the clear; SIGN = base64 HMAC-SHA256 of timestamp +
 * METHOD + requestPath (+ query) + body. Errors are HTTP 401 with `{code, msg, data: []}`.
 */

import { allowedFrom, capabilities, hmac, keyTable, type StubOptions, same } from './stub-keys';
import { type StubHandler, type StubReply, startStub } from './stub-server';

const err = (status: number, code: string, msg: string): StubReply => ({ status, body: { code, msg, data: [] } });
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function okxHandler(options: StubOptions = {}): StubHandler {
  const keys = keyTable('okx', options);
  const now = options.now ?? Date.now;
  return (req) => {
    if (req.method !== 'GET' || req.path !== '/api/v5/account/config') return err(404, '404', 'Not Found');
    const h = req.headers;
    if (!h['ok-access-key']) return err(401, '50103', 'Request header OK-ACCESS-KEY cannot be empty.');
    if (!h['ok-access-passphrase']) return err(401, '50104', 'Request header OK-ACCESS-PASSPHRASE cannot be empty.');
    if (!h['ok-access-sign']) return err(401, '50106', 'Request header OK-ACCESS-SIGN cannot be empty.');
    const timestamp = h['ok-access-timestamp'];
    if (!timestamp) return err(401, '50107', 'Request header OK-ACCESS-TIMESTAMP cannot be empty.');
    if (!ISO_MS.test(timestamp)) return err(401, '50112', 'Invalid OK-ACCESS-TIMESTAMP.');
    if (Math.abs(now() - Date.parse(timestamp)) > 30_000) return err(401, '50102', 'Timestamp request expired.');
    const key = keys.get(h['ok-access-key']);
    if (!key) return err(401, '50111', 'Invalid OK-ACCESS-KEY.');
    const requestPath = req.rawQuery === '' ? req.path : `${req.path}?${req.rawQuery}`;
    const expected = hmac('sha256', key.secret, `${timestamp}${req.method}${requestPath}${req.body}`, 'base64');
    if (!same(h['ok-access-sign'], expected)) return err(401, '50113', 'Invalid Sign.');
    if (!key.passphrases.includes(h['ok-access-passphrase'])) return err(401, '50105', 'Invalid OK-ACCESS-PASSPHRASE.');
    if (!allowedFrom(key, req.remoteAddress)) {
      return err(401, '50110', `Your IP ${req.remoteAddress} is not included in your API key's IP whitelist.`);
    }
    if (key.profile === 'rate-limited') {
      return err(
        429,
        '50011',
        'Rate limit reached. Please refer to API documentation and throttle requests accordingly.',
      );
    }
    if (key.profile === 'server-error')
      return err(503, '50001', 'Service temporarily unavailable. Please try again later.');
    if (key.profile === 'hang') return 'hang';

    const can = capabilities(key.profile);
    const perm = ['read_only', ...(can.trade ? ['trade'] : []), ...(can.withdraw ? ['withdraw'] : [])].join(',');
    return {
      status: 200,
      body: {
        code: '0',
        msg: '',
        data: [
          {
            acctLv: '2',
            autoLoan: false,
            ctIsoMode: 'automatic',
            greeksType: 'PA',
            level: 'Lv1',
            levelTmp: '',
            mgnIsoMode: 'automatic',
            posMode: 'long_short_mode',
            uid: '44705892343619584',
            mainUid: '44705892343619584',
            label: key.apiKey,
            roleType: '0',
            traderInsts: [],
            spotRoleType: '0',
            spotTraderInsts: [],
            opAuth: '0',
            kycLv: '2',
            ip: key.whitelist.join(','),
            perm,
          },
        ],
      },
    };
  };
}

export const startOkxStub = (options: StubOptions = {}, port = 0) => startStub(okxHandler(options), port);
