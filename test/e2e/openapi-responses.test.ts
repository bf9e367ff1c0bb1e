import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type * as z from 'zod/mini';
import type { RouteSpec } from '../../src/adapters/http/route-spec';
import { ROUTES } from '../../src/adapters/http/routes';
import { type ErrorStatus, viewSchemas } from '../../src/adapters/http/view-schemas';
import { LocalMacProvider } from '../../src/adapters/local-keys/local-mac-provider';
import { DEFAULT_CHECK_POLICY, type ExchangeChecker } from '../../src/core/exchange-keys';
import { testApp } from '../support/app';
import { dynamo, stopDynamo } from '../support/dynamo';
import { ADMIN } from '../support/fakes';

afterAll(stopDynamo);
beforeAll(() => dynamo());

const PATH = 'openapi/user-1/binance';

type Api = Awaited<ReturnType<typeof testApp>>;

/**
 * One real request per route of the table, made after the ones before it: what each answers
 * must be a status the route declares, with a body its schema accepts (strictly: a field the
 * document does not name fails). A route added to the table needs a line here.
 */
const SCENARIOS: Record<string, (t: Api) => Promise<request.Response>> = {
  health: (t) => request(t.app).get('/healthz'),
  openApi: (t) => request(t.app).get('/openapi.json'),
  putSecret: (t) => t.as().put(`/v1/secrets/${PATH}`, { value: { apiKey: 'a', secretKey: 'b' }, labels: { x: 'y' } }),
  getSecret: (t) => t.as().get(`/v1/secrets/${PATH}`),
  describeSecret: (t) => t.as().get(`/v1/metadata/${PATH}`),
  accessHistory: (t) => t.as().get(`/v1/audit/${PATH}?limit=5`),
  listSecrets: (t) => t.as().get('/v1/metadata?prefix=openapi/&limit=1'),
  rewrapSecret: (t) => t.as().post(`/v1/rewrap/${PATH}`, {}),
  deleteSecret: (t) => t.as().delete(`/v1/secrets/${PATH}`),
  undeleteSecret: (t) => t.as().post(`/v1/undelete/${PATH}`, { versions: [1] }),
  destroySecret: (t) => t.as().post(`/v1/destroy/${PATH}`, { versions: [1] }),
  eraseSecret: (t) => t.as().delete(`/v1/metadata/${PATH}`),
  metrics: (t) => t.as().get('/metrics'),
  recheckExchangeKey: async (t) => {
    const value = { apiKey: 'openapi-key', secretKey: 'openapi-secret', passphrase: 'openapi-pass' };
    await t.as().put('/v1/secrets/openapi/user-1/okx', { kind: 'exchange-api-key', exchange: 'okx', value });
    return t.as().post('/v1/exchange-check/openapi/user-1/okx', {});
  },
};

/** An exchange that says every key may trade derivatives and not withdraw. */
const agreeableExchange: ExchangeChecker = {
  check: async (exchange) => ({
    exchange,
    checkedAt: new Date().toISOString(),
    canTrade: true,
    canTradeDerivatives: true,
    canWithdraw: false,
    canTransfer: true,
    readOnly: false,
    ipRestricted: true,
    ipWhitelist: ['203.0.113.7'],
    expiresAt: null,
    warnings: [],
  }),
};

function check(route: RouteSpec, res: request.Response): void {
  const declared = route.responses[res.status];
  expect({ route: `${route.method} ${route.template}`, status: res.status, declared: Boolean(declared) }).toEqual({
    route: `${route.method} ${route.template}`,
    status: res.status,
    declared: true,
  });
  const schema: z.ZodMiniType | undefined = declared!.schema?.(viewSchemas());
  if (schema) expect(schema.safeParse(res.body).error?.issues ?? []).toEqual([]);
  else if (declared!.contentType) expect(res.headers['content-type']).toContain(declared!.contentType);
  else expect(res.text).toBe('');
}

describe('the route table describes what the routes answer', () => {
  it('every route has a scenario here', () => {
    expect(ROUTES.map((r) => r.operationId).sort()).toEqual(Object.keys(SCENARIOS).sort());
  });

  it('each route answers a declared status with a body its schema accepts', async () => {
    const t = await testApp({
      trail: {},
      metricsText: () => '# no counts\n',
      exchanges: {
        checker: agreeableExchange,
        macs: new LocalMacProvider(randomBytes(32)),
        settings: { check: 'required', policy: DEFAULT_CHECK_POLICY },
      },
    });
    for (const [operationId, send] of Object.entries(SCENARIOS)) {
      check(ROUTES.find((r) => r.operationId === operationId)!, await send(t));
    }
  });

  it('error bodies match the schema of their status', async () => {
    const t = await testApp({ policy: { rules: [] } });
    const cases: Array<[ErrorStatus, () => request.Test]> = [
      [400, () => t.as().get('/v1/secrets/a/../b')],
      [401, () => request(t.app).get(`/v1/secrets/${PATH}`)],
      [403, () => t.as().get(`/v1/secrets/${PATH}`)],
      [404, () => t.as().get('/v1/nowhere')],
      [415, () => request(t.app).put(`/v1/secrets/${PATH}`).set('x-test-principal', ADMIN).send('text')],
    ];
    for (const [status, send] of cases) {
      const res = await send();
      expect(res.status).toBe(status);
      expect(viewSchemas().errorSchemas[status].safeParse(res.body).error?.issues ?? []).toEqual([]);
    }
  });

  it('serves the document at /openapi.json without identity, no-store, the same as the file', async () => {
    const t = await testApp();
    const res = await request(t.app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual(
      JSON.parse(require('node:fs').readFileSync(`${__dirname}/../../docs/openapi.json`, 'utf8')),
    );
  });
});
