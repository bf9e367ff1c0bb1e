/**
 * Binance as documented: X-MBX-APIKEY header; `timestamp` (and optional `recvWindow`, at most
 * 60000) in the query; `signature` = hex HMAC-SHA256 of the query string without it, compared
 * case-insensitively; accepted when timestamp < serverTime + 1000 and serverTime - timestamp <=
 * recvWindow. -2015 for an unknown key and for a caller outside the whitelist alike.
 */

import { allowedFrom, capabilities, DAY_MS, hmac, keyTable, type StubOptions } from './stub-keys';
import { type StubHandler, type StubReply, startStub } from './stub-server';

const err = (status: number, code: number, msg: string, headers?: Record<string, string>): StubReply => ({
  status,
  body: { code, msg },
  ...(headers ? { headers } : {}),
});

export function binanceHandler(options: StubOptions = {}): StubHandler {
  const keys = keyTable('binance', options);
  const now = options.now ?? Date.now;
  return (req) => {
    if (req.method !== 'GET' || req.path !== '/sapi/v1/account/apiRestrictions') {
      return err(404, -1000, 'Unknown endpoint.');
    }
    const apiKey = req.headers['x-mbx-apikey'];
    if (!apiKey || !/^[A-Za-z0-9-]{1,64}$/.test(apiKey)) return err(401, -2014, 'API-key format invalid.');
    const key = keys.get(apiKey);
    if (!key) return err(401, -2015, 'Invalid API-key, IP, or permissions for action.');

    const parts = req.rawQuery === '' ? [] : req.rawQuery.split('&');
    const signatures = parts.filter((p) => p.startsWith('signature='));
    const payload = parts.filter((p) => !p.startsWith('signature=')).join('&') + req.body;
    const params = new URLSearchParams(payload);
    const timestamp = Number(params.get('timestamp'));
    if (!params.get('timestamp') || !Number.isInteger(timestamp)) {
      return err(400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
    }
    const recvWindow = params.has('recvWindow') ? Number(params.get('recvWindow')) : 5000;
    if (!Number.isFinite(recvWindow) || recvWindow > 60000)
      return err(400, -1131, 'recvWindow must be less than 60000');
    const serverTime = now();
    if (timestamp >= serverTime + 1000 || serverTime - timestamp > recvWindow) {
      return err(400, -1021, 'Timestamp for this request is outside of the recvWindow.');
    }
    if (signatures.length !== 1) {
      return err(400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
    }
    const sent = signatures[0]!.slice('signature='.length).toLowerCase();
    if (sent !== hmac('sha256', key.secret, payload, 'hex')) {
      return err(400, -1022, 'Signature for this request is not valid.');
    }
    if (!allowedFrom(key, req.remoteAddress)) return err(401, -2015, 'Invalid API-key, IP, or permissions for action.');
    if (key.profile === 'rate-limited') {
      return err(429, -1003, 'Too many requests; current limit is 6000 request weight per 1 MINUTE.', {
        'Retry-After': '7',
      });
    }
    if (key.profile === 'server-error') return err(503, -1008, 'Server is currently overloaded with other requests.');
    if (key.profile === 'hang') return 'hang';

    const can = capabilities(key.profile);
    const body: Record<string, unknown> = {
      ipRestrict: key.whitelist.length > 0,
      createTime: serverTime - 10 * DAY_MS,
      enableReading: true,
      enableWithdrawals: can.withdraw,
      enableInternalTransfer: can.transfer,
      enableMargin: false,
      enableFutures: can.derivatives,
      permitsUniversalTransfer: false,
      enableVanillaOptions: false,
      enableFixApiTrade: false,
      enableFixReadOnly: true,
      enableSpotAndMarginTrading: can.trade,
      enablePortfolioMarginTrading: false,
    };
    // Without an IP restriction Binance limits spot and margin trading to 30 days and says until when.
    if (key.whitelist.length === 0 && can.trade) body.tradingAuthorityExpirationTime = serverTime + 30 * DAY_MS;
    return { status: 200, body };
  };
}

export const startBinanceStub = (options: StubOptions = {}, port = 0) => startStub(binanceHandler(options), port);
