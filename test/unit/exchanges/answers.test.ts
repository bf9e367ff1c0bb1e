import { EXCHANGE_APIS } from '../../../src/adapters/exchanges/exchange-apis';
import { DependencyError, ExchangeIpNotWhitelistedError, ExchangeKeyInvalidError } from '../../../src/core/errors';
import { EXCHANGES } from '../../../src/core/exchange-keys';
import { type ErrorFixture, exchangeFixture } from '../../support/exchange-fixtures';

const NOW = 1_700_000_000_000;

function answer(
  status: number,
  body: unknown,
  options: { headers?: Record<string, string>; nowMs?: number; apiKey?: string } = {},
) {
  return {
    status,
    headers: new Headers(options.headers ?? {}),
    body,
    nowMs: options.nowMs ?? NOW,
    apiKey: options.apiKey ?? 'test-api-key',
  };
}

function bodyOf(fixture: ErrorFixture): unknown {
  if (fixture.text === undefined) return fixture.body;
  try {
    return JSON.parse(fixture.text);
  } catch {
    return undefined;
  }
}

describe.each(EXCHANGES)('%s answers', (exchange) => {
  const fixture = exchangeFixture(exchange);
  const api = EXCHANGE_APIS[exchange];
  const apiKey = fixture.apiKey ?? 'test-api-key';

  it.each(fixture.answers.map((a) => [a.name, a] as const))('maps: %s', (_name, recorded) => {
    expect(api.interpret(answer(200, recorded.body, { apiKey }))).toMatchObject(recorded.expect);
  });

  it.each(fixture.errors.map((e) => [e.name, e] as const))('refuses: %s', (_name, recorded) => {
    const run = () =>
      api.interpret(
        answer(recorded.status, bodyOf(recorded), {
          apiKey,
          ...(recorded.headers ? { headers: recorded.headers } : {}),
          ...(recorded.nowMs ? { nowMs: recorded.nowMs } : {}),
        }),
      );
    expect(run).toThrow();
    let thrown: unknown;
    try {
      run();
    } catch (error) {
      thrown = error;
    }
    const { expect: want } = recorded;
    expect((thrown as { code?: string }).code).toBe(want.code);
    if (want.code === 'exchange_key_invalid') expect(thrown).toBeInstanceOf(ExchangeKeyInvalidError);
    if (want.code === 'exchange_ip_not_whitelisted') expect(thrown).toBeInstanceOf(ExchangeIpNotWhitelistedError);
    if (want.code === 'dependency_unavailable') {
      expect(thrown).toBeInstanceOf(DependencyError);
      expect((thrown as DependencyError).dependency).toBe('exchange');
    }
    if (want.exchangeCode !== undefined)
      expect((thrown as { exchangeCode?: string }).exchangeCode).toBe(want.exchangeCode);
    if (want.ambiguous !== undefined) expect((thrown as { ambiguous?: boolean }).ambiguous).toBe(want.ambiguous);
    if (want.retryAfterSeconds !== undefined) {
      expect((thrown as DependencyError).retryAfterSeconds).toBe(want.retryAfterSeconds);
    }
  });

  it.each([
    ['an HTML error page', 503, '<html>busy</html>'],
    ['an empty 200', 200, undefined],
    ['a JSON string', 200, 'ok'],
    ['null', 200, null],
    ['a number', 200, 42],
  ])('an answer that is not the documented shape (%s) is a dependency error, not a crash', (_name, status, body) => {
    expect(() => api.interpret(answer(status, body, { apiKey }))).toThrow(DependencyError);
  });

  it('an unknown error code with a 4xx status is a dependency error (not taken as a verdict on the key)', () => {
    const body =
      exchange === 'gate'
        ? { label: 'SOMETHING_NEW', message: 'x' }
        : exchange === 'bybit'
          ? { retCode: 99999, retMsg: 'x', result: {} }
          : exchange === 'binance'
            ? { code: -9999, msg: 'x' }
            : { code: exchange === 'bingx' ? 99999 : '99999', msg: 'x' };
    expect(() => api.interpret(answer(400, body, { apiKey }))).toThrow(DependencyError);
  });
});
