/**
 * HttpExchangeChecker against the stub exchanges over real loopback HTTP: every outcome the
 * ingest check must tell apart, for every exchange.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { HttpExchangeChecker } from '../../src/adapters/exchanges/http-exchange-checker';
import { DependencyError, ExchangeIpNotWhitelistedError, ExchangeKeyInvalidError } from '../../src/core/errors';
import {
  DEFAULT_CHECK_POLICY,
  EXCHANGES,
  type Exchange,
  type ExchangeCredential,
  evaluateCheck,
  PASSPHRASE_EXCHANGES,
  parseCheckPolicy,
} from '../../src/core/exchange-keys';
import {
  BITGET_DEMO_PASSPHRASE,
  DEMO_PASSPHRASE,
  DEMO_SECRET,
  demoCredential,
  type RunningStub,
  START_STUB,
  UNKNOWN_KEY,
} from '../stubs/exchanges';
import { collectSecrets, serialiseDeep } from '../support/secret-canary';

const UNKNOWN_CODE: Record<Exchange, string> = {
  binance: '-2015',
  okx: '50111',
  bybit: '10003',
  bitget: '40006',
  gate: 'INVALID_KEY',
  bingx: '100413',
  kucoin: '400003',
};
const SIGNATURE_CODE: Record<Exchange, string> = {
  binance: '-1022',
  okx: '50113',
  bybit: '10004',
  bitget: '40009',
  gate: 'INVALID_SIGNATURE',
  bingx: '100001',
  kucoin: '400005',
};
const PASSPHRASE_CODE: Partial<Record<Exchange, string>> = { okx: '50105', bitget: '40012', kucoin: '400004' };
const IP_CODE: Record<Exchange, string> = {
  binance: '-2015',
  okx: '50110',
  bybit: '10010',
  bitget: '40018',
  gate: 'IP_FORBIDDEN',
  bingx: '100419',
  kucoin: '400006',
};
/** What each stub says about waiting: its own header, or the checker's fallback of 2 s. */
const RETRY_AFTER: Record<Exchange, number> = {
  binance: 7,
  okx: 2,
  bybit: 4,
  bitget: 2,
  gate: 9,
  bingx: 2,
  kucoin: 12,
};
/** Gate does not document how withdrawal shows, so its keys pass only with `gate:withdraw` allowed. */
const POLICY = parseCheckPolicy({ allowUnknown: 'gate:withdraw' });

function fixtureCredential(exchange: Exchange, apiKey: string): ExchangeCredential {
  if (!PASSPHRASE_EXCHANGES.has(exchange)) return { apiKey, secretKey: DEMO_SECRET };
  return {
    apiKey,
    secretKey: DEMO_SECRET,
    passphrase: exchange === 'bitget' ? BITGET_DEMO_PASSPHRASE : DEMO_PASSPHRASE,
  };
}

async function thrownBy(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the check to fail');
}

describe.each(EXCHANGES)('%s through HttpExchangeChecker and the stub', (exchange) => {
  let stub: RunningStub;
  let otherSecretStub: RunningStub;
  let checker: HttpExchangeChecker;
  const outcomes: unknown[] = [];

  beforeAll(async () => {
    stub = await START_STUB[exchange]();
    otherSecretStub = await START_STUB[exchange]({ secret: 'another-secret' });
    checker = new HttpExchangeChecker({ baseUrls: { [exchange]: stub.url }, timeoutMs: 2000 });
  });
  afterAll(async () => {
    await stub.close();
    await otherSecretStub.close();
  });

  const check = async (credential: ExchangeCredential, using = checker) => {
    try {
      const result = await using.check(exchange, credential);
      outcomes.push(result);
      return result;
    } catch (error) {
      outcomes.push(error);
      throw error;
    }
  };

  it('accepts demo-trade: derivatives, no withdraw, IP-bound, and the policy stores it', async () => {
    const result = await check(demoCredential(exchange, 'demo-trade'));
    // Gate's listing cannot prove a key unable to withdraw (see gate.ts): unknown, not false.
    const canWithdraw = exchange === 'gate' ? null : false;
    expect(result).toMatchObject({ exchange, canWithdraw, canTradeDerivatives: true, ipRestricted: true });
    expect(evaluateCheck(result, POLICY)).toEqual([]);
    if (exchange === 'gate') expect(evaluateCheck(result, DEFAULT_CHECK_POLICY)).toEqual(['withdraw_unknown']);
    expect(stub.requests.at(-1)?.path).toMatch(/^\/(sapi|api|v5|openApi)\//);
  });

  it('refuses demo-withdraw: withdraw_enabled', async () => {
    const result = await check(demoCredential(exchange, 'demo-withdraw'));
    expect(result.canWithdraw).toBe(true);
    expect(evaluateCheck(result, POLICY)).toContain('withdraw_enabled');
  });

  it('refuses demo-readonly: read_only', async () => {
    const result = await check(demoCredential(exchange, 'demo-readonly'));
    expect(result.readOnly).toBe(true);
    expect(evaluateCheck(result, DEFAULT_CHECK_POLICY)).toEqual(
      expect.arrayContaining(['read_only', 'derivatives_disabled']),
    );
  });

  it('demo-noip: not IP-bound, with the expiry or warning this exchange implies', async () => {
    const result = await check(demoCredential(exchange, 'demo-noip'));
    expect(result.ipRestricted).toBe(false);
    const expected = {
      binance: { expiryKind: 'reported', warnings: [] },
      bybit: { expiryKind: 'reported', warnings: [] },
      gate: { expiryKind: 'no-ip-binding', warnings: [] },
      okx: { expiresAt: null, warnings: ['inactivity_expiry_14d'] },
      bingx: { expiresAt: null, warnings: ['inactivity_expiry_14d'] },
      bitget: { expiresAt: null, warnings: [] },
      kucoin: { expiresAt: null, warnings: [] },
    }[exchange];
    expect(result).toMatchObject(expected);
    if (result.expiresAt !== null) expect(Date.parse(result.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('an unknown key is refused with the exchange own code', async () => {
    const error = await thrownBy(check(fixtureCredential(exchange, UNKNOWN_KEY)));
    if (exchange === 'binance') {
      // -2015 also means "IP outside the whitelist"; the error says it cannot tell which.
      expect(error).toBeInstanceOf(ExchangeIpNotWhitelistedError);
      expect(error).toMatchObject({ code: 'exchange_ip_not_whitelisted', exchangeCode: '-2015', ambiguous: true });
    } else {
      expect(error).toBeInstanceOf(ExchangeKeyInvalidError);
      expect(error).toMatchObject({ code: 'exchange_key_invalid', exchangeCode: UNKNOWN_CODE[exchange] });
    }
  });

  it('a wrong secret is refused as an invalid signature', async () => {
    const other = new HttpExchangeChecker({ baseUrls: { [exchange]: otherSecretStub.url }, timeoutMs: 2000 });
    const error = await thrownBy(check(demoCredential(exchange, 'demo-trade'), other));
    expect(error).toBeInstanceOf(ExchangeKeyInvalidError);
    expect(error).toMatchObject({ exchangeCode: SIGNATURE_CODE[exchange], reason: 'signature' });
  });

  if (PASSPHRASE_CODE[exchange]) {
    it('a wrong passphrase is refused', async () => {
      const error = await thrownBy(
        check({ ...demoCredential(exchange, 'demo-trade'), passphrase: 'wrongpassphrase1' }),
      );
      expect(error).toBeInstanceOf(ExchangeKeyInvalidError);
      expect(error).toMatchObject({ exchangeCode: PASSPHRASE_CODE[exchange], reason: 'passphrase' });
    });
  }

  it('a call from outside the key whitelist is exchange_ip_not_whitelisted', async () => {
    const error = await thrownBy(check(fixtureCredential(exchange, 'fixture-ip-blocked')));
    expect(error).toBeInstanceOf(ExchangeIpNotWhitelistedError);
    expect(error).toMatchObject({ exchangeCode: IP_CODE[exchange] });
    expect((error as Error).message).toContain('egress address');
  });

  it('a stale clock is a dependency error, not a verdict on the key', async () => {
    const skewed = new HttpExchangeChecker({ baseUrls: { [exchange]: stub.url }, now: () => Date.now() - 10 * 60_000 });
    const error = await thrownBy(check(demoCredential(exchange, 'demo-trade'), skewed));
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as DependencyError).detail).toContain('timestamp');
  });

  it('rate limiting is a dependency error with the exchange retry hint', async () => {
    const error = await thrownBy(check(fixtureCredential(exchange, 'fixture-rate-limited')));
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'exchange', retryAfterSeconds: RETRY_AFTER[exchange] });
  });

  it('a server error is a dependency error', async () => {
    const error = await thrownBy(check(fixtureCredential(exchange, 'fixture-server-error')));
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as DependencyError).detail).toMatch(/unavailable|unexpected/);
  });

  it('a stub that accepts the request and never answers is cut off within the budget', async () => {
    const budget = 300;
    const quick = new HttpExchangeChecker({ baseUrls: { [exchange]: stub.url }, timeoutMs: budget });
    const started = performance.now();
    const error = await thrownBy(check(fixtureCredential(exchange, 'fixture-hang'), quick));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as DependencyError).detail).toContain(`within ${budget} ms`);
    expect(elapsed).toBeLessThan(budget + 1500);
  });

  it('canary: no result or error holds the secret, the passphrase or any signature sent', () => {
    expect(outcomes.length).toBeGreaterThanOrEqual(10);
    const plain = [DEMO_SECRET, 'another-secret', DEMO_PASSPHRASE, BITGET_DEMO_PASSPHRASE, 'wrongpassphrase1'];
    const secrets = collectSecrets([...stub.requests, ...otherSecretStub.requests], plain);
    // Signatures really were collected, so the search below is not vacuous.
    expect(secrets.length).toBeGreaterThan(plain.length + 1);
    const text = serialiseDeep(outcomes);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});

describe('HttpExchangeChecker at the network edge', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts TCP connections and never writes a byte: the peer a deadline exists for.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it.each(EXCHANGES)('%s: a peer that never answers is cut off within the budget', async (exchange) => {
    const { port } = silent.address() as { port: number };
    const budget = 250;
    const checker = new HttpExchangeChecker({
      baseUrls: { [exchange]: `http://127.0.0.1:${port}` },
      timeoutMs: budget,
    });
    const started = performance.now();
    const error = await thrownBy(checker.check(exchange, fixtureCredential(exchange, 'k')));
    expect(error).toBeInstanceOf(DependencyError);
    expect(performance.now() - started).toBeLessThan(budget + 1500);
  });

  it('a closed port is a dependency error naming the errno, with no cause attached', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const checker = new HttpExchangeChecker({ baseUrls: { binance: `http://127.0.0.1:${port}` } });
    const error = await thrownBy(checker.check('binance', { apiKey: 'k', secretKey: 's' }));
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as DependencyError).detail).toBe('binance unreachable (ECONNREFUSED)');
    expect((error as Error).cause).toBeUndefined();
  });
});
