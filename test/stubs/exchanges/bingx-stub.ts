/**
 * BingX as documented: X-BX-APIKEY header; parameters in the query with `timestamp` (ms);
 * `signature` = hex HMAC-SHA256 of the parameter string as received (without `signature`);
 * timestamp within recvWindow (default 5000 ms) of server time. Every answer is HTTP 200 with
 * `{code, msg, debugMsg, data}`; code 0 on success.
 */

import { allowedFrom, capabilities, hmac, keyTable, type StubOptions, same } from './stub-keys';
import { type StubHandler, type StubReply, startStub } from './stub-server';

const reply = (code: number, msg: string, data: unknown = {}, status = 200): StubReply => ({
  status,
  body: { code, msg, debugMsg: '', data },
});

export function bingxHandler(options: StubOptions = {}): StubHandler {
  const keys = keyTable('bingx', options);
  const now = options.now ?? Date.now;
  return (req) => {
    if (req.method !== 'GET' || req.path !== '/openApi/v1/account/apiPermissions')
      return reply(100404, 'api not found', {}, 404);
    const apiKey = req.headers['x-bx-apikey'];
    if (!apiKey) return reply(100413, 'Incorrect apiKey');
    const key = keys.get(apiKey);
    if (!key) return reply(100413, 'Incorrect apiKey');
    const at = req.rawQuery.lastIndexOf('&signature=');
    if (at === -1) return reply(100001, 'Signature verification failed');
    const parameters = req.rawQuery.slice(0, at);
    const signature = req.rawQuery.slice(at + '&signature='.length);
    const params = new URLSearchParams(parameters);
    const timestamp = Number(params.get('timestamp'));
    const recvWindow = params.has('recvWindow') ? Number(params.get('recvWindow')) : 5000;
    const serverTime = now();
    if (
      !params.get('timestamp') ||
      !Number.isInteger(timestamp) ||
      timestamp > serverTime + 1000 ||
      serverTime - timestamp > recvWindow
    ) {
      return reply(100421, 'Null timestamp or timestamp mismatch');
    }
    if (!same(signature.toLowerCase(), hmac('sha256', key.secret, parameters, 'hex'))) {
      return reply(100001, 'Signature verification failed');
    }
    if (!allowedFrom(key, req.remoteAddress)) return reply(100419, 'IP does not match IP whitelist');
    if (key.profile === 'rate-limited') return reply(100410, 'rate limitation, please try again later');
    if (key.profile === 'server-error') return reply(100500, 'Internal system error');
    if (key.profile === 'hang') return 'hang';
    const can = capabilities(key.profile);
    const permissions = [2];
    if (can.trade) permissions.push(1);
    if (can.derivatives) permissions.push(3);
    if (can.transfer) permissions.push(4);
    if (can.withdraw) permissions.push(5);
    return reply(0, '', {
      apiKey: key.apiKey,
      note: key.apiKey,
      permissions: permissions.sort(),
      ipAddresses: key.whitelist,
    });
  };
}

export const startBingxStub = (options: StubOptions = {}, port = 0) => startStub(bingxHandler(options), port);
