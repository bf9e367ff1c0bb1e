import { ExchangeBaseUrlError, parseExchangeBaseUrl } from '../../../src/adapters/exchanges/base-url';
import { DEFAULT_EXCHANGE_BASE_URLS } from '../../../src/adapters/exchanges/exchange-apis';
import { HttpExchangeChecker } from '../../../src/adapters/exchanges/http-exchange-checker';
import { EXCHANGES, parseExchangeCredential } from '../../../src/core/exchange-keys';
import { DEMO_KEYS, demoCredential } from '../../stubs/exchanges/stub-keys';

describe('demo credentials printed by npm run exchanges:stub', () => {
  it.each(EXCHANGES)(
    '%s: every demo credential passes the vault schema, so it can be stored as printed',
    (exchange) => {
      for (const [name] of DEMO_KEYS) {
        const credential = demoCredential(exchange, name);
        expect(parseExchangeCredential(exchange, credential)).toEqual(credential);
      }
    },
  );
});

describe('exchange base URLs', () => {
  it.each([
    ['https://api.binance.com', 'https://api.binance.com'],
    ['https://api.binance.com/', 'https://api.binance.com'],
    ['https://proxy.example/binance/', 'https://proxy.example/binance'],
    ['http://127.0.0.1:9100', 'http://127.0.0.1:9100'],
    ['http://localhost:9100/', 'http://localhost:9100'],
    ['http://[::1]:9100', 'http://[::1]:9100'],
  ])('%s is used as %s', (raw, normalised) => {
    expect(parseExchangeBaseUrl('binance', raw)).toBe(normalised);
  });

  it.each([
    ['plain http off loopback: the key and a replayable signature would cross the network', 'http://api.binance.com'],
    ['credentials in the URL', 'https://user:pw@api.binance.com'],
    ['a query, which would be signed over', 'https://api.binance.com/?x=1'],
    ['a fragment', 'https://api.binance.com/#x'],
    ['not a URL', 'api.binance.com'],
    ['another scheme', 'file:///etc/passwd'],
  ])('refuses %s', (_why, raw) => {
    expect(() => parseExchangeBaseUrl('binance', raw)).toThrow(ExchangeBaseUrlError);
  });

  it('the checker refuses a bad configured URL at construction, not at the first check', () => {
    expect(() => new HttpExchangeChecker({ baseUrls: { okx: 'http://10.0.0.5' } })).toThrow(ExchangeBaseUrlError);
  });

  it('defaults are each exchange public API host over https', () => {
    expect(DEFAULT_EXCHANGE_BASE_URLS).toEqual({
      binance: 'https://api.binance.com',
      okx: 'https://www.okx.com',
      bybit: 'https://api.bybit.com',
      bitget: 'https://api.bitget.com',
      gate: 'https://api.gateio.ws',
      bingx: 'https://open-api.bingx.com',
      kucoin: 'https://api.kucoin.com',
    });
  });

  it('calls the configured base URL plus the constant path, and nothing from the credential', async () => {
    const urls: string[] = [];
    const fetch = (async (url: string | URL | Request) => {
      urls.push(String(url));
      return new Response(JSON.stringify({ code: '0', msg: '', data: [{ perm: 'read_only', ip: '', acctLv: '2' }] }), {
        status: 200,
      });
    }) as typeof globalThis.fetch;
    const checker = new HttpExchangeChecker({ baseUrls: { okx: 'https://okx.example/' }, fetch });
    await checker.check('okx', { apiKey: 'https://evil.example/x?', secretKey: '/../../x', passphrase: '@evil' });
    expect(urls).toEqual(['https://okx.example/api/v5/account/config']);
  });

  it('a fetch that ignores its abort signal is still cut off at the deadline', async () => {
    const fetch = (() => new Promise<Response>(() => undefined)) as typeof globalThis.fetch;
    const checker = new HttpExchangeChecker({ fetch, timeoutMs: 50 });
    await expect(checker.check('bybit', { apiKey: 'k', secretKey: 's' })).rejects.toMatchObject({
      code: 'dependency_unavailable',
      dependency: 'exchange',
    });
  });

  it('an oversized answer is refused without being buffered whole', async () => {
    const fetch = (async () => new Response('x'.repeat(2048), { status: 200 })) as typeof globalThis.fetch;
    const checker = new HttpExchangeChecker({ fetch, maxBodyBytes: 1024 });
    await expect(checker.check('gate', { apiKey: 'k', secretKey: 's' })).rejects.toMatchObject({
      detail: 'gate answer is larger than 1024 bytes',
    });
  });

  it('a passphrase exchange without a passphrase is refused before any call', async () => {
    const fetch = jest.fn() as unknown as typeof globalThis.fetch;
    const checker = new HttpExchangeChecker({ fetch });
    await expect(checker.check('kucoin', { apiKey: 'k', secretKey: 's' })).rejects.toMatchObject({
      code: 'validation_error',
    });
    expect(fetch).not.toHaveBeenCalled();
  });
});
