import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { parsePolicy } from '../../src/core/policy';
import { testApp } from '../support/app';
import { CountingKeyProvider } from '../support/counting-key-provider';
import { dynamo, stopDynamo } from '../support/dynamo';
import { ADMIN } from '../support/fakes';

afterAll(stopDynamo);
beforeAll(() => dynamo());
// The shared dynalite client is spied on per test; a failed assertion must not leave the spy on it.
afterEach(() => jest.restoreAllMocks());

const USER_API = 'arn:aws:iam::123456789012:role/user-api';
const ENGINE = 'arn:aws:iam::123456789012:role/trading-engine';
const STRANGER = 'arn:aws:iam::123456789012:role/stranger';

const MONITOR = 'arn:aws:iam::123456789012:role/key-monitor';

/** The README's copy-trading policy, read from the README itself (so the two cannot drift), plus the admin. */
function readmePolicy(): { rules: Array<{ principals: string[]; actions: string[]; paths: string[] }> } {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('The copy-trading example'));
  const block = /```json\n([\s\S]*?)\n```/.exec(section);
  if (!block) throw new Error('the README has no copy-trading policy block');
  return JSON.parse(block[1]!);
}
const README_RULES = readmePolicy().rules;
const POLICY = parsePolicy({
  rules: [
    { principals: [ADMIN], actions: ['read', 'write', 'describe', 'list', 'delete', 'destroy', 'admin'], paths: ['*'] },
    ...README_RULES,
  ],
});

const P = 'exchange-keys/user-1842/binance-main';
type Route = { name: string; send: (principal?: string) => (app: Parameters<typeof request>[0]) => request.Test };
const withId = (test: request.Test, principal?: string) => (principal ? test.set('x-test-principal', principal) : test);
const json = (test: request.Test, body: unknown) =>
  test.set('content-type', 'application/json').send(JSON.stringify(body));

const ROUTES: Route[] = [
  {
    name: 'PUT /v1/secrets',
    send: (p) => (app) => json(withId(request(app).put(`/v1/secrets/${P}`), p), { value: 'new' }),
  },
  { name: 'GET /v1/secrets', send: (p) => (app) => withId(request(app).get(`/v1/secrets/${P}`), p) },
  { name: 'GET /v1/metadata/{path}', send: (p) => (app) => withId(request(app).get(`/v1/metadata/${P}`), p) },
  {
    name: 'GET /v1/metadata (list)',
    send: (p) => (app) => withId(request(app).get('/v1/metadata?prefix=exchange-keys/'), p),
  },
  { name: 'DELETE /v1/secrets', send: (p) => (app) => withId(request(app).delete(`/v1/secrets/${P}`), p) },
  {
    name: 'POST /v1/undelete',
    send: (p) => (app) => json(withId(request(app).post(`/v1/undelete/${P}`), p), { versions: [1] }),
  },
  {
    name: 'POST /v1/destroy',
    send: (p) => (app) => json(withId(request(app).post(`/v1/destroy/${P}`), p), { versions: [1] }),
  },
  { name: 'DELETE /v1/metadata', send: (p) => (app) => withId(request(app).delete(`/v1/metadata/${P}`), p) },
  { name: 'POST /v1/rewrap', send: (p) => (app) => json(withId(request(app).post(`/v1/rewrap/${P}`), p), {}) },
];

const ALLOW = 200;
const EXPECTED: Record<string, Record<string, number>> = {
  'no identity': Object.fromEntries(ROUTES.map((r) => [r.name, 401])),
  'unknown principal': Object.fromEntries(ROUTES.map((r) => [r.name, 403])),
  admin: Object.fromEntries(ROUTES.map((r) => [r.name, ALLOW])),
  'user-api role': {
    'PUT /v1/secrets': ALLOW,
    'GET /v1/secrets': 403,
    'GET /v1/metadata/{path}': ALLOW,
    'GET /v1/metadata (list)': ALLOW,
    'DELETE /v1/secrets': ALLOW,
    'POST /v1/undelete': ALLOW,
    'POST /v1/destroy': 403,
    'DELETE /v1/metadata': 403,
    'POST /v1/rewrap': 403,
  },
  'key-monitor role': {
    'PUT /v1/secrets': 403,
    'GET /v1/secrets': 403,
    'GET /v1/metadata/{path}': ALLOW,
    'GET /v1/metadata (list)': ALLOW,
    'DELETE /v1/secrets': 403,
    'POST /v1/undelete': 403,
    'POST /v1/destroy': 403,
    'DELETE /v1/metadata': 403,
    'POST /v1/rewrap': 403,
  },
  'trading-engine role': {
    'PUT /v1/secrets': 403,
    'GET /v1/secrets': ALLOW,
    'GET /v1/metadata/{path}': ALLOW,
    'GET /v1/metadata (list)': 403,
    'DELETE /v1/secrets': 403,
    'POST /v1/undelete': 403,
    'POST /v1/destroy': 403,
    'DELETE /v1/metadata': 403,
    'POST /v1/rewrap': 403,
  },
};
const WHO: Record<string, string | undefined> = {
  'no identity': undefined,
  'unknown principal': STRANGER,
  admin: ADMIN,
  'user-api role': USER_API,
  'trading-engine role': ENGINE,
  'key-monitor role': MONITOR,
};

describe('authorisation matrix: every route x every caller', () => {
  const cases = Object.keys(EXPECTED).flatMap((who) =>
    ROUTES.map((route) => [who, route.name, EXPECTED[who]![route.name]!] as const),
  );

  it.each(cases)('%s on %s -> %i', async (who, routeName, expected) => {
    const keys = new CountingKeyProvider();
    const t = await testApp({ keys, policy: POLICY });
    await t.as(ADMIN).put(`/v1/secrets/${P}`, { value: 'v1' });
    await t.as(ADMIN).delete(`/v1/secrets/${P}?versions=1`);
    await t.as(ADMIN).post(`/v1/undelete/${P}`, { versions: [1] });
    const kmsBefore = keys.keyServiceCalls;
    const send = jest.spyOn(t.client, 'send');
    const route = ROUTES.find((r) => r.name === routeName)!;
    const res = await route.send(WHO[who])(t.app);
    const dynamoCalls = send.mock.calls.filter(
      ([command]) => (command.input as { TableName?: string }).TableName === t.tableName,
    );
    if (expected === ALLOW) {
      expect(res.status).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(300);
      // The counter sees the calls an allowed request makes, so zero on a denial means zero.
      expect(dynamoCalls.length).toBeGreaterThan(0);
      return;
    }
    expect(res.status).toBe(expected);
    expect(res.body.error.code).toBe(expected === 401 ? 'unauthenticated' : 'access_denied');
    // Decided before any dependency call: no KMS call, no DynamoDB call of any kind.
    expect(keys.keyServiceCalls).toBe(kmsBefore);
    expect(dynamoCalls).toHaveLength(0);
    if (expected === 403) {
      const audit = t.logger.records.filter((r) => r.type === 'audit' && r.decision === 'deny');
      expect(audit).toHaveLength(1);
      expect(audit[0]).toEqual(
        expect.objectContaining({
          requestId: res.headers['x-request-id'],
          principal: WHO[who],
          decision: 'deny',
          reason: expect.any(String),
        }),
      );
    }
  });

  it('list results hold only what the caller may describe', async () => {
    const policy = parsePolicy({
      rules: [
        { principals: [ADMIN], actions: ['write', 'list', 'describe'], paths: ['*'] },
        { principals: [USER_API], actions: ['list', 'describe'], paths: ['exchange-keys/team-a/*'] },
        { principals: [USER_API], actions: ['list'], paths: ['exchange-keys/team-b/*'] },
      ],
    });
    const t = await testApp({ policy });
    for (const path of [
      'exchange-keys/team-a/k1',
      'exchange-keys/team-b/k1',
      'exchange-keys/team-c/k1',
      'exchange-keys/team-a/k2',
    ]) {
      expect((await t.as(ADMIN).put(`/v1/secrets/${path}`, { value: 'v' })).status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await t
        .as(USER_API)
        .get(`/v1/metadata?prefix=exchange-keys/&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((i: { path: string }) => i.path));
      cursor = res.body.cursor;
    } while (cursor);
    expect(seen).toEqual(['exchange-keys/team-a/k1', 'exchange-keys/team-a/k2']);
  });

  it('writes one audit line per decision, without the value', async () => {
    const t = await testApp({ policy: POLICY });
    await t.as(USER_API).put(`/v1/secrets/${P}`, { value: 'audit-canary-value' });
    await t.as(USER_API).get(`/v1/secrets/${P}?version=1`);
    const audit = t.logger.records.filter((r) => r.type === 'audit');
    expect(audit).toEqual([
      expect.objectContaining({ principal: USER_API, action: 'write', path: P, decision: 'allow' }),
      expect.objectContaining({ principal: USER_API, action: 'read', path: P, version: 1, decision: 'deny' }),
    ]);
    expect(t.logger.text()).not.toContain('audit-canary-value');
  });
});
