/**
 * Bybit v5 as documented: X-BAPI-API-KEY, -TIMESTAMP (ms), -RECV-WINDOW (default 5000), -SIGN =
 * hex HMAC-SHA256 of timestamp + apiKey + recvWindow + queryString; accepted when
 * server_time - recv_window <= timestamp < server_time + 1000. Answers `{retCode, retMsg,
 * result, retExtInfo, time}`; auth errors with HTTP 401.
 */

import { allowedFrom, capabilities, DAY_MS, hmac, keyTable, type StubOptions, same } from './stub-keys';
import { type StubHandler, type StubReply, startStub } from './stub-server';

export function bybitHandler(options: StubOptions = {}): StubHandler {
  const keys = keyTable('bybit', options);
  const now = options.now ?? Date.now;
  const reply = (
    status: number,
    retCode: number,
    retMsg: string,
    result: unknown = {},
    headers?: Record<string, string>,
  ): StubReply => ({
    status,
    body: { retCode, retMsg, result, retExtInfo: {}, time: now() },
    ...(headers ? { headers } : {}),
  });
  return (req) => {
    if (req.method !== 'GET' || req.path !== '/v5/user/query-api') return reply(404, 10001, 'Not found');
    const h = req.headers;
    const apiKey = h['x-bapi-api-key'];
    const timestamp = h['x-bapi-timestamp'];
    const sign = h['x-bapi-sign'];
    if (!apiKey || !timestamp || !sign) return reply(401, 10003, 'API key is invalid.');
    const key = keys.get(apiKey);
    if (!key) return reply(401, 10003, 'API key is invalid.');
    const recvWindow = h['x-bapi-recv-window'] ?? '5000';
    const serverTime = now();
    const ts = Number(timestamp);
    if (!Number.isInteger(ts) || !(serverTime - Number(recvWindow) <= ts && ts < serverTime + 1000)) {
      return reply(
        200,
        10002,
        `invalid request, please check your server timestamp or recv_window param. req_timestamp[${timestamp}],server_timestamp[${serverTime}],recv_window[${recvWindow}]`,
      );
    }
    const expected = hmac('sha256', key.secret, `${timestamp}${apiKey}${recvWindow}${req.rawQuery}`, 'hex');
    if (!same(sign.toLowerCase(), expected)) {
      return reply(401, 10004, 'Error sign, please check your signature generation algorithm.');
    }
    if (!allowedFrom(key, req.remoteAddress))
      return reply(401, 10010, "Unmatched IP, please check your API key's bound IP addresses.");
    if (key.profile === 'rate-limited') {
      return reply(
        200,
        10006,
        'Too many visits!',
        {},
        {
          'X-Bapi-Limit-Status': '0',
          'X-Bapi-Limit': '10',
          'X-Bapi-Limit-Reset-Timestamp': String(serverTime + 4000),
        },
      );
    }
    if (key.profile === 'server-error') return reply(500, 10016, 'Server error.');
    if (key.profile === 'hang') return 'hang';

    const can = capabilities(key.profile);
    const createdAt = serverTime - 10 * DAY_MS;
    const bound = key.whitelist.length > 0;
    return reply(200, 0, '', {
      id: '13770661',
      note: key.apiKey,
      apiKey: key.apiKey,
      readOnly: can.trade || can.withdraw || can.transfer ? 0 : 1,
      secret: '',
      permissions: {
        ContractTrade: can.derivatives || key.profile === 'readonly' ? ['Order', 'Position'] : [],
        Spot: ['SpotTrade'],
        Wallet: [...(can.transfer ? ['AccountTransfer'] : []), ...(can.withdraw ? ['Withdraw'] : [])],
        Options: [],
        Derivatives: [],
        Exchange: [],
        Earn: [],
        BlockTrade: [],
        Affiliate: [],
        NFT: [],
        CopyTrading: [],
      },
      ips: bound ? key.whitelist : ['*'],
      type: 1,
      // Only keys with no IP bound carry an expiry: 90 days from creation.
      deadlineDay: bound ? 0 : 80,
      expiredAt: bound ? '' : new Date(createdAt + 90 * DAY_MS).toISOString().replace('.000', ''),
      createdAt: new Date(createdAt).toISOString().replace('.000', ''),
      unified: 0,
      uta: 1,
      userID: 24617703,
      inviterID: 0,
      vipLevel: 'No VIP',
      mktMakerLevel: '0',
      affiliateID: 0,
      rsaPublicKey: '',
      isMaster: true,
      parentUid: '0',
      kycLevel: 'LEVEL_DEFAULT',
      kycRegion: '',
    });
  };
}

export const startBybitStub = (options: StubOptions = {}, port = 0) => startStub(bybitHandler(options), port);
