/**
 * ccxt as an independent oracle: its sign() (a client neither the vault's signers nor the stubs
 * share code with) must reproduce the vectors copied into the fixtures, and the stubs must
 * accept what it signs and refuse it when the secret is wrong. ccxt is a devDependency, never
 * used by src/.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { EXCHANGES, type Exchange } from '../../src/core/exchange-keys';
import { demoCredential, type RunningStub, START_STUB } from '../stubs/exchanges';
import { exchangeFixture } from '../support/exchange-fixtures';

interface Signed {
  url: string;
  method: string;
  headers: Record<string, string>;
  version: string;
}

interface Job {
  exchange: Exchange;
  path: string;
  api: string | string[];
  credential: { apiKey: string; secretKey: string; passphrase?: string };
  nowMs: number;
  headers?: Record<string, string>;
}

/** ccxt's own name for each self-permission endpoint. */
const ENDPOINT: Record<Exchange, [string, string | string[]]> = {
  binance: ['account/apiRestrictions', 'sapi'],
  okx: ['account/config', 'private'],
  bybit: ['v5/user/query-api', 'private'],
  bitget: ['v2/spot/account/info', ['private', 'spot']],
  gate: ['main_keys', ['private', 'account']],
  bingx: ['account/apiPermissions', ['account', 'v1', 'private']],
  kucoin: ['user/api-key', 'private'],
};

/** The stubs run on this fixed clock, so ccxt's signatures are made for the same instant. */
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

const job = (
  exchange: Exchange,
  credential: Job['credential'],
  nowMs: number,
  headers?: Record<string, string>,
): Job => {
  const [path, api] = ENDPOINT[exchange];
  return { exchange, path, api, credential, nowMs, ...(headers ? { headers } : {}) };
};

function ccxtSignAll(jobs: Job[]): Signed[] {
  const script = join(__dirname, '..', 'support', 'ccxt-sign.cjs');
  return JSON.parse(execFileSync(process.execPath, [script], { input: JSON.stringify(jobs), encoding: 'utf8' }));
}

function pathAndQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

const vectorJobs = EXCHANGES.map((exchange) =>
  job(exchange, exchangeFixture(exchange).request, exchangeFixture(exchange).request.nowMs),
);
const demoJobs = EXCHANGES.map((exchange) => job(exchange, demoCredential(exchange, 'demo-trade'), NOW));
const kucoinV3 = job('kucoin', demoCredential('kucoin', 'demo-trade'), NOW, { 'KC-API-KEY-VERSION': '3' });
let signed: Signed[] = [];

beforeAll(() => {
  signed = ccxtSignAll([...vectorJobs, ...demoJobs, kucoinV3]);
});

it('the oracle is ccxt 4.5.x', () => {
  expect(signed[0]?.version).toMatch(/^4\.5\./);
});

describe.each(EXCHANGES)('%s: ccxt 4.5.x as oracle', (exchange) => {
  const fixture = exchangeFixture(exchange);
  let stub: RunningStub;
  let wrongSecretStub: RunningStub;
  const index = EXCHANGES.indexOf(exchange);
  beforeAll(async () => {
    stub = await START_STUB[exchange]({ now: () => NOW });
    wrongSecretStub = await START_STUB[exchange]({ now: () => NOW, secret: 'another-secret' });
  });
  afterAll(async () => {
    await stub.close();
    await wrongSecretStub.close();
  });

  it('reproduces the request vector copied into the fixtures', () => {
    const { request } = fixture;
    const vector = signed[index]!;
    // ccxt adds a trailing "?" on Bybit (an empty query either way).
    expect(pathAndQuery(vector.url).replace(/\?$/, '')).toBe(request.pathAndQuery);
    const sent = { ...request.headers };
    // ccxt sends KuCoin key version 2 (the vault sends 3; both HMAC the passphrase).
    if (exchange === 'kucoin') delete sent['KC-API-KEY-VERSION'];
    expect(vector.headers).toMatchObject(sent);
  });

  async function send(target: RunningStub, request: Signed) {
    const response = await fetch(`${target.url}${pathAndQuery(request.url)}`, { headers: request.headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> | unknown[] };
  }

  const success = (body: unknown) =>
    exchange === 'gate'
      ? Array.isArray(body)
      : exchange === 'binance'
        ? typeof body === 'object' && body !== null && 'enableWithdrawals' in body
        : ['0', '00000', '200000'].includes(
            String((body as { code?: unknown; retCode?: unknown }).code ?? (body as { retCode?: unknown }).retCode),
          );

  it('the stub accepts a ccxt-signed request for demo-trade', async () => {
    const answer = await send(stub, signed[EXCHANGES.length + index]!);
    expect(answer.status).toBe(200);
    expect(success(answer.body)).toBe(true);
  });

  it('the stub refuses the same ccxt-signed request when it holds another secret', async () => {
    const answer = await send(wrongSecretStub, signed[EXCHANGES.length + index]!);
    expect(success(answer.body)).toBe(false);
  });
});

describe('kucoin key version 3 in ccxt', () => {
  it('ccxt sends the version-3 passphrase in the clear, which the stub (following KuCoin docs) refuses', async () => {
    const stub = await START_STUB.kucoin({ now: () => NOW });
    try {
      const v3 = signed.at(-1)!;
      expect(v3.headers['KC-API-KEY-VERSION']).toBe('3');
      expect(v3.headers['KC-API-PASSPHRASE']).toBe(demoCredential('kucoin', 'demo-trade').passphrase);
      const response = await fetch(`${stub.url}${pathAndQuery(v3.url)}`, { headers: v3.headers });
      expect(await response.json()).toMatchObject({ code: '400004' });
    } finally {
      await stub.close();
    }
  });
});
