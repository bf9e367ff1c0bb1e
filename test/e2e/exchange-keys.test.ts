import { randomBytes } from 'node:crypto';
import { HttpExchangeChecker } from '../../src/adapters/exchanges/http-exchange-checker';
import { LocalMacProvider } from '../../src/adapters/local-keys/local-mac-provider';
import type { ExchangeKeyDeps } from '../../src/core/exchange-key-intake';
import { EXCHANGES, type Exchange, parseCheckPolicy } from '../../src/core/exchange-keys';
import { parsePolicy } from '../../src/core/policy';
import {
  DEMO_SECRET,
  demoCredential,
  LOOPBACK,
  type RunningStub,
  START_STUB,
  type StubKey,
  stubKeys,
  UNKNOWN_KEY,
} from '../stubs/exchanges';
import { itemBytes, type TestAppOptions, testApp } from '../support/app';
import { stopDynamo } from '../support/dynamo';
import { ADMIN } from '../support/fakes';
import { collectSecrets } from '../support/secret-canary';

const stubs = {} as Record<Exchange, RunningStub>;
/** A key whose permissions a test changes while it is stored (mutable: the stub reads it per request). */
const changing: StubKey = {
  apiKey: 'changing-key',
  secret: DEMO_SECRET,
  passphrases: ['demo-passphrase'],
  profile: 'trade',
  whitelist: LOOPBACK,
};

beforeAll(async () => {
  for (const exchange of EXCHANGES) {
    const keys = exchange === 'okx' ? [...stubKeys('okx'), changing] : undefined;
    stubs[exchange] = await START_STUB[exchange](keys ? { keys } : {});
  }
});
afterAll(async () => {
  await Promise.all(Object.values(stubs).map((stub) => stub.close()));
  await stopDynamo();
});

const baseUrls = () => Object.fromEntries(EXCHANGES.map((e) => [e, stubs[e].url])) as Record<Exchange, string>;

/** The vault as deployed with checks required; Gate keys cannot report withdraw, so it is tolerated there. */
function exchanges(check: 'required' | 'off' = 'required', timeoutMs = 2000): ExchangeKeyDeps {
  return {
    checker: new HttpExchangeChecker({ baseUrls: baseUrls(), timeoutMs }),
    macs: new LocalMacProvider(randomBytes(32)),
    settings: { check, policy: parseCheckPolicy({ allowUnknown: 'gate:withdraw' }) },
  };
}

const app = (options: TestAppOptions = {}) => testApp({ exchanges: exchanges(), ...options });
const body = (exchange: Exchange, name: string) => ({
  kind: 'exchange-api-key',
  exchange,
  value: demoCredential(exchange, name),
});
const credentialFor = (exchange: Exchange, apiKey: string) => ({
  ...demoCredential(exchange, 'demo-trade'),
  apiKey,
});

describe('exchange keys: stored only when the exchange says they cannot withdraw', () => {
  it.each(EXCHANGES)(
    '%s: a derivatives-trading, IP-bound key is stored, shown masked with its permissions',
    async (exchange) => {
      const t = await app();
      const res = await t.as().put(`/v1/secrets/customers/u1/${exchange}`, body(exchange, 'demo-trade'));
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        kind: 'exchange-api-key',
        exchange,
        apiKeyHint: expect.stringMatching(/^.{1,4}\*\*\*\*.{1,4}$/),
        check: {
          exchange,
          canTradeDerivatives: true,
          canWithdraw: exchange === 'gate' ? null : false,
          ipRestricted: true,
        },
      });
      const described = await t.as().get(`/v1/metadata/customers/u1/${exchange}`);
      const shown = JSON.stringify([res.body, described.body]);
      const credential = demoCredential(exchange, 'demo-trade');
      expect(shown).not.toContain(credential.secretKey);
      expect(shown).not.toContain(credential.apiKey);
      if (credential.passphrase) expect(shown).not.toContain(credential.passphrase);
      // The value itself is sealed as any other secret's, and reads back whole.
      expect((await t.as().get(`/v1/secrets/customers/u1/${exchange}`)).body.value).toEqual(credential);
    },
  );

  it.each([
    ['binance', 'demo-withdraw', ['withdraw_enabled']],
    ['okx', 'demo-withdraw', ['withdraw_enabled']],
    ['bybit', 'demo-readonly', ['read_only', 'derivatives_disabled']],
  ] as const)(
    '%s %s is refused 422 exchange_key_rejected %j, and nothing is stored',
    async (exchange, name, reasons) => {
      const t = await app();
      const res = await t.as().put(`/v1/secrets/customers/u2/${exchange}`, body(exchange, name));
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'exchange_key_rejected', details: reasons });
      expect(await t.scan()).toEqual([]);
    },
  );

  it('an unknown key is 422 exchange_key_invalid with the exchange code; a foreign IP 422 exchange_ip_not_whitelisted', async () => {
    const t = await app();
    const invalid = await t.as().put('/v1/secrets/c/okx', {
      kind: 'exchange-api-key',
      exchange: 'okx',
      value: credentialFor('okx', UNKNOWN_KEY),
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error).toMatchObject({ code: 'exchange_key_invalid' });
    expect(invalid.body.error.details).toContain('exchangeCode: 50111');
    const blocked = await t.as().put('/v1/secrets/c/bybit', {
      kind: 'exchange-api-key',
      exchange: 'bybit',
      value: credentialFor('bybit', 'fixture-ip-blocked'),
    });
    expect(blocked.status).toBe(422);
    expect(blocked.body.error.code).toBe('exchange_ip_not_whitelisted');
    expect(blocked.body.error.message).toMatch(/egress address/);
    expect(await t.scan()).toEqual([]);
  });

  it.each([
    ['a 5xx', 'fixture-server-error'],
    ['rate limiting', 'fixture-rate-limited'],
    ['a hang', 'fixture-hang'],
  ])('the exchange answering with %s is 503 with Retry-After, and nothing is stored', async (_what, apiKey) => {
    const t = await testApp({ exchanges: exchanges('required', 800) });
    const res = await t.as().put('/v1/secrets/c/binance', {
      kind: 'exchange-api-key',
      exchange: 'binance',
      value: credentialFor('binance', apiKey),
    });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('dependency_unavailable');
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(await t.scan()).toEqual([]);
  });

  it('no log line, response or stored byte carries the secret, the passphrase, the apiKey or a signature', async () => {
    const t = await app();
    const sent = stubs.okx.requests.length;
    await t.as().put('/v1/secrets/canary/okx', body('okx', 'demo-trade'));
    await t.as().get('/v1/metadata/canary/okx');
    const credential = demoCredential('okx', 'demo-trade');
    const secrets = collectSecrets(stubs.okx.requests.slice(sent), [credential.secretKey, credential.passphrase!]);
    const logged = t.logger.text();
    const stored = Buffer.concat((await t.scan()).map(itemBytes));
    for (const secret of secrets) {
      expect(logged).not.toContain(secret);
      expect(stored.includes(Buffer.from(secret))).toBe(false);
    }
    // The apiKey itself is kept only as its keyed MAC (and inside the sealed value).
    expect(stored.includes(Buffer.from(credential.apiKey))).toBe(false);
  });
});

describe('duplicate detection without revealing keys', () => {
  const OTHER = 'arn:aws:iam::111122223333:role/user-api';
  const policy = parsePolicy({
    rules: [
      { principals: [ADMIN], actions: ['write', 'describe', 'read', 'list'], paths: ['*'] },
      { principals: [OTHER], actions: ['write', 'describe'], paths: ['tenant-b/*'] },
    ],
  });

  it('the same exchange key under a second path is 409, naming the first only to a caller who may describe it', async () => {
    const t = await app({ policy });
    expect((await t.as().put('/v1/secrets/tenant-a/okx', body('okx', 'demo-trade'))).status).toBe(201);
    const admin = await t.as().put('/v1/secrets/tenant-a/okx-again', body('okx', 'demo-trade'));
    expect(admin.status).toBe(409);
    expect(admin.body.error).toMatchObject({ code: 'duplicate_exchange_key' });
    expect(admin.body.error.message).toContain('tenant-a/okx');
    const other = await t.as(OTHER).put('/v1/secrets/tenant-b/okx', body('okx', 'demo-trade'));
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('duplicate_exchange_key');
    expect(other.body.error.message).not.toContain('tenant-a');
    // Rewriting the same path with the same key is a new version, not a duplicate.
    expect((await t.as().put('/v1/secrets/tenant-a/okx', body('okx', 'demo-trade'))).status).toBe(200);
    // The same apiKey on another exchange is another key.
    expect((await t.as().put('/v1/secrets/tenant-a/bybit', body('bybit', 'demo-trade'))).status).toBe(201);
  });
});

describe('a secret keeps its kind', () => {
  it('an exchange key cannot become plain or change exchange; a plain secret cannot become one', async () => {
    const t = await app();
    await t.as().put('/v1/secrets/k/one', body('okx', 'demo-trade'));
    const plain = await t.as().put('/v1/secrets/k/one', { value: 'just a string' });
    expect([plain.status, plain.body.error.code]).toEqual([409, 'kind_mismatch']);
    const moved = await t.as().put('/v1/secrets/k/one', body('bybit', 'demo-trade'));
    expect([moved.status, moved.body.error.code]).toEqual([409, 'kind_mismatch']);
    await t.as().put('/v1/secrets/k/plain', { value: 'v' });
    const typed = await t.as().put('/v1/secrets/k/plain', body('binance', 'demo-trade'));
    expect([typed.status, typed.body.error.code]).toEqual([409, 'kind_mismatch']);
  });

  it('the value must be that exchange credential shape, and the message never quotes it', async () => {
    const t = await app();
    const res = await t.as().put('/v1/secrets/k/bad', {
      kind: 'exchange-api-key',
      exchange: 'okx',
      value: { apiKey: 'a-key', secretKey: 'sk-never-echo' },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toContain('sk-never-echo');
    expect(JSON.stringify(res.body)).toContain('passphrase');
  });
});

describe('expiry-aware rotation', () => {
  it('a Bybit key without an IP binding falls due when the exchange says it expires, and shows in the rotation report then', async () => {
    const t = await app({ rotationDays: 365 });
    const res = await t.as().put('/v1/secrets/r/bybit', body('bybit', 'demo-noip'));
    expect(res.status).toBe(201);
    const { check, rotationDueAt } = res.body;
    expect(check).toMatchObject({ ipRestricted: false, expiryKind: 'reported' });
    expect(rotationDueAt).toBe(check.expiresAt);
    expect((await t.as().get('/v1/metadata?rotationDue=true')).body.items).toEqual([]);
    t.clock.current = new Date(Date.parse(check.expiresAt) + 1000);
    const due = await t.as().get('/v1/metadata?rotationDue=true');
    expect(due.body.items.map((i: { path: string }) => i.path)).toEqual(['r/bybit']);
  });

  it('an OKX key without an IP binding carries the 14-day inactivity warning', async () => {
    const t = await app();
    const res = await t.as().put('/v1/secrets/r/okx', body('okx', 'demo-noip'));
    expect(res.body.check.warnings).toContain('inactivity_expiry_14d');
  });
});

describe('re-check', () => {
  const SUPPORT = 'arn:aws:iam::111122223333:role/support';
  const policy = parsePolicy({
    rules: [
      { principals: [ADMIN], actions: ['write', 'describe', 'list', 'check'], paths: ['*'] },
      { principals: [SUPPORT], actions: ['describe', 'list'], paths: ['*'] },
    ],
  });

  it('flags a key that gained withdraw since ingest, without a new version; listing can filter on flagged keys', async () => {
    changing.profile = 'trade';
    const t = await app({ policy });
    await t.as().put('/v1/secrets/watch/okx', {
      kind: 'exchange-api-key',
      exchange: 'okx',
      value: credentialFor('okx', changing.apiKey),
    });
    await t.as().put('/v1/secrets/watch/other', body('okx', 'demo-trade'));
    const clean = await t.as().post('/v1/exchange-check/watch/okx');
    expect(clean.body).toMatchObject({ version: 1, flagged: [] });

    changing.profile = 'withdraw';
    const flagged = await t.as().post('/v1/exchange-check/watch/okx');
    expect(flagged.status).toBe(200);
    expect(flagged.body).toMatchObject({ version: 1, flagged: ['withdraw_enabled'], check: { canWithdraw: true } });
    const described = await t.as().get('/v1/metadata/watch/okx');
    expect(described.body).toMatchObject({ version: 1, flagged: ['withdraw_enabled'] });
    const listed = await t.as().get('/v1/metadata?flagged=true');
    expect(listed.body.items.map((i: { path: string }) => i.path)).toEqual(['watch/okx']);

    // Without the check action: 403, and nothing was asked of the exchange.
    const sent = stubs.okx.requests.length;
    expect((await t.as(SUPPORT).post('/v1/exchange-check/watch/okx')).status).toBe(403);
    expect(stubs.okx.requests.length).toBe(sent);
    changing.profile = 'trade';
  });

  it('a key the exchange now refuses is flagged with the refusal code', async () => {
    changing.profile = 'trade';
    const t = await app({ policy });
    await t.as().put('/v1/secrets/gone/okx', {
      kind: 'exchange-api-key',
      exchange: 'okx',
      value: credentialFor('okx', changing.apiKey),
    });
    changing.profile = 'ip-blocked';
    changing.whitelist = ['203.0.113.7'];
    const res = await t.as().post('/v1/exchange-check/gone/okx');
    expect(res.body.flagged).toEqual(['exchange_ip_not_whitelisted']);
    changing.profile = 'trade';
    changing.whitelist = LOOPBACK;
  });
});

describe('checks off', () => {
  it('stores the key with check null and calls no exchange', async () => {
    const t = await testApp({ exchanges: exchanges('off') });
    const sent = stubs.binance.requests.length;
    const res = await t.as().put('/v1/secrets/off/binance', body('binance', 'demo-withdraw'));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'exchange-api-key', check: null });
    expect(stubs.binance.requests.length).toBe(sent);
  });
});
