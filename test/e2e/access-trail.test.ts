import { randomBytes } from 'node:crypto';
import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbTrailStore } from '../../src/adapters/dynamodb/dynamodb-trail-store';
import { HttpExchangeChecker } from '../../src/adapters/exchanges/http-exchange-checker';
import { LocalMacProvider } from '../../src/adapters/local-keys/local-mac-provider';
import { parseCheckPolicy } from '../../src/core/exchange-keys';
import { parsePolicy } from '../../src/core/policy';
import { unrecordedChanges, verifyTrail } from '../../src/core/trail-verify';
import { demoCredential, type RunningStub, START_STUB } from '../stubs/exchanges';
import { itemBytes, TEST_MACS, testApp } from '../support/app';
import { dynamo, stopDynamo } from '../support/dynamo';
import { ADMIN } from '../support/fakes';
import { collectSecrets } from '../support/secret-canary';

const ENGINES = [
  'arn:aws:iam::111122223333:role/engine-a',
  'arn:aws:iam::111122223333:role/engine-b',
  'arn:aws:iam::111122223333:role/engine-c',
];
/** The platform's user-facing API: may show a customer the history of their keys, never the keys. */
const OWNER_VIEW = 'arn:aws:iam::111122223333:role/user-api';
const SUPPORT = 'arn:aws:iam::111122223333:role/support';
const policy = parsePolicy({
  rules: [
    { principals: [ADMIN], actions: ['write', 'read', 'describe', 'audit'], paths: ['*'] },
    { principals: ENGINES, actions: ['read'], paths: ['exchange-keys/*'] },
    { principals: [OWNER_VIEW], actions: ['describe', 'audit'], paths: ['exchange-keys/*'] },
    { principals: [SUPPORT], actions: ['describe'], paths: ['exchange-keys/*'] },
  ],
});

const VALUE_CANARY = 'VALUE-CANARY-5d1e7a';
const LABEL_CANARY = 'LABEL-CANARY-0b93f2';
const SIGNATURE_CANARY = 'SIGNATURE-CANARY-c4a8e1';
const QUERY_CANARY = 'QUERY-CANARY-7e2d90';

let okx: RunningStub;
beforeAll(async () => {
  okx = await START_STUB.okx();
});
afterAll(async () => {
  await okx.close();
  await stopDynamo();
});

/** Client mocks a test made; restored after each test, so a failed assertion cannot leak one. */
const mocks: Array<{ restore(): void }> = [];
afterEach(() => {
  jest.restoreAllMocks();
  for (const mock of mocks.splice(0)) mock.restore();
});

/**
 * The trail's own DynamoDB client, passing every command to dynalite unless `failPuts` is set:
 * then every PutItem on the trail's table fails as a throttled DynamoDB would.
 */
async function faultyTrailClient() {
  const store = await dynamo();
  const real = store.newClient();
  const client = new DynamoDBClient({ region: 'us-east-1' });
  const mock = mockClient(client);
  mocks.push(mock);
  const state = { failPuts: false };
  mock.on(PutItemCommand).callsFake((input) => {
    if (state.failPuts)
      throw Object.assign(new Error('ThrottlingException'), { name: 'ThrottlingException', $metadata: {} });
    return real.send(new PutItemCommand(input));
  });
  mock.on(QueryCommand).callsFake((input) => real.send(new QueryCommand(input)));
  mock.on(GetItemCommand).callsFake((input) => real.send(new GetItemCommand(input)));
  return { client, state };
}

describe("the owner's view of a secret's access trail", () => {
  it('200 reads by three principals with purposes come back newest first, paged; audit sees the history, never the value', async () => {
    const t = await testApp({ policy, trail: {} });
    const path = 'exchange-keys/u-1842/binance-main';
    expect((await t.as().put(`/v1/secrets/${path}`, { value: { apiKey: 'k', secretKey: 's' } })).status).toBe(201);
    // 20 instants, 10 concurrent reads at each (the clock is a test clock: it moves between
    // batches). Straight to the use case, as the HTTP adapter calls it (the header's way in is
    // the next test's), so 200 reads stay cheap in the suite.
    const batches: Array<Array<{ principal: string; purpose: string }>> = [];
    for (let b = 0; b < 20; b++) {
      t.clock.advance(1);
      const batch = Array.from({ length: 10 }, (_, j) => ({
        principal: ENGINES[(b * 10 + j) % 3]!,
        purpose: `order placement #${b * 10 + j} (strategy ${j % 7})`,
      }));
      const answers = await Promise.all(
        batch.map(({ principal, purpose }, j) =>
          t.vault.get({ principal, purpose, requestId: `read-${b}-${j}` }, path),
        ),
      );
      expect(answers.map((read) => read.version)).toEqual(Array(10).fill(1));
      batches.push(batch);
    }
    t.clock.advance(1);

    const pages: Array<Array<Record<string, unknown>>> = [];
    let cursor: string | undefined;
    do {
      const res = await t
        .as(OWNER_VIEW)
        .get(`/v1/audit/${path}?limit=30${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(30);
      pages.push(res.body.items);
      cursor = res.body.cursor;
    } while (cursor);
    const items = pages.flat();
    // The write, then the 200 reads, newest first; the owner's own queries come after the
    // first page's moment, so they wait for the next query.
    expect(items).toHaveLength(201);
    expect(pages.length).toBe(7);
    const times = items.map((item) => `${item.time}#${String(item.seq).padStart(12, '0')}`);
    expect(times).toEqual([...times].sort().reverse());
    expect(new Set(items.map((item) => item.seq)).size).toBe(201);
    // Newest batch first; within an instant, the order the chain took them in (seq, newest first).
    const who = (item: Record<string, unknown>) => `${item.principal} ${item.purpose}`;
    for (let b = 0; b < 20; b++) {
      const recorded = items.slice(b * 10, b * 10 + 10);
      expect(new Set(recorded.map((item) => item.time)).size).toBe(1);
      expect(recorded.map(who).sort()).toEqual(batches[19 - b]!.map((r) => `${r.principal} ${r.purpose}`).sort());
    }
    for (const item of items.slice(0, 200)) {
      expect(item).toMatchObject({
        action: 'read',
        versions: [1],
        decision: 'allow',
        reason: 'policy rule matched',
        result: 'ok',
        requestId: expect.any(String),
      });
      expect(item).not.toHaveProperty('value');
    }
    expect(items[200]).toMatchObject({ action: 'write', principal: ADMIN, versions: [1], result: 'ok' });

    // A later query sees the owner's own earlier queries: recorded, like every request on the path.
    t.clock.advance(1);
    const again = await t.as(OWNER_VIEW).get(`/v1/audit/${path}?limit=10`);
    expect(again.body.items.slice(0, 7).map((item: { action: string }) => item.action)).toEqual(Array(7).fill('audit'));

    // audit without read: the history, never the value.
    expect((await t.as(OWNER_VIEW).get(`/v1/secrets/${path}`)).status).toBe(403);
    // neither audit nor read: nothing.
    expect((await t.as(SUPPORT).get(`/v1/audit/${path}`)).status).toBe(403);
    expect((await t.as(ENGINES[0]).get(`/v1/audit/${path}`)).status).toBe(403);
    // A cursor is bound to who asked and what: another principal or another limit cannot use it.
    const first = await t.as(OWNER_VIEW).get(`/v1/audit/${path}?limit=5`);
    const bound = encodeURIComponent(first.body.cursor);
    expect((await t.as(ADMIN).get(`/v1/audit/${path}?limit=5&cursor=${bound}`)).status).toBe(400);
    expect((await t.as(OWNER_VIEW).get(`/v1/audit/${path}?limit=6&cursor=${bound}`)).status).toBe(400);
    expect((await t.as(OWNER_VIEW).get(`/v1/audit/${path}?limit=5&cursor=${bound}`)).status).toBe(200);

    // Describe: a summary of recent reads for a caller who may audit, none for one who may not.
    const described = await t.as(OWNER_VIEW).get(`/v1/metadata/${path}`);
    expect(described.body.access).toEqual({
      lastReadAt: items[0]!.time,
      lastReadBy: items[0]!.principal,
      readsLast24h: 200,
      readsLast24hCapped: false,
    });
    expect((await t.as(SUPPORT).get(`/v1/metadata/${path}`)).body).not.toHaveProperty('access');
    t.clock.advance(25 * 3_600_000);
    expect((await t.as(OWNER_VIEW).get(`/v1/metadata/${path}`)).body.access).toMatchObject({
      lastReadBy: items[0]!.principal,
      readsLast24h: 0,
    });

    // since/until bound the history; until is exclusive.
    const window = await t
      .as(OWNER_VIEW)
      .get(`/v1/audit/${path}?since=${items[39]!.time}&until=${items[0]!.time}&limit=100`);
    expect(window.status).toBe(200);
    expect(window.body.items.map((i: { seq: number }) => i.seq)).toEqual(items.slice(10, 40).map((i) => i.seq));
  });

  it('refuses a purpose that is not short printable text, and anything but ISO instants as bounds', async () => {
    const t = await testApp({ policy, trail: {} });
    const path = 'exchange-keys/u-1/okx';
    await t.as().put(`/v1/secrets/${path}`, { value: 'v' });
    // (Node drops leading and trailing blanks of a header value before the vault sees it.)
    for (const purpose of ['x'.repeat(129), 'tab\there', 'caf\u00e9', 'new\u0085line']) {
      const res = await t.as(ENGINES[0]).get(`/v1/secrets/${path}`, { 'x-vault-purpose': purpose });
      expect({ purpose, status: res.status }).toEqual({ purpose, status: 400 });
    }
    const stated = `${'x'.repeat(127)}!`;
    expect((await t.as(ENGINES[0]).get(`/v1/secrets/${path}`, { 'x-vault-purpose': stated })).status).toBe(200);
    t.clock.advance(1);
    const recorded = await t.as(OWNER_VIEW).get(`/v1/audit/${path}?limit=1`);
    expect(recorded.body.items[0]).toMatchObject({ principal: ENGINES[0], action: 'read', purpose: stated });
    for (const query of [
      'since=yesterday',
      'until=1700000000',
      'limit=0',
      'limit=101',
      'since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z',
    ]) {
      expect({ query, status: (await t.as(OWNER_VIEW).get(`/v1/audit/${path}?${query}`)).status }).toEqual({
        query,
        status: 400,
      });
    }
  });
});

describe('no record, no plaintext', () => {
  it('a read whose trail write fails answers 503 and no value; the value never left the vault', async () => {
    const printed: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => printed.push(String(chunk)) > 0);
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => printed.push(String(chunk)) > 0);
    const { client, state } = await faultyTrailClient();
    const t = await testApp({ policy, trail: { client } });
    const path = 'exchange-keys/u-7/bybit';
    expect((await t.as().put(`/v1/secrets/${path}`, { value: { secretKey: VALUE_CANARY } })).status).toBe(201);

    state.failPuts = true;
    const refused = await t.as(ENGINES[0]).get(`/v1/secrets/${path}`, { 'x-vault-purpose': 'rebalance' });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.body.error.code).toBe('dependency_unavailable');
    expect(refused.text).not.toContain(VALUE_CANARY);
    // A denial stays a denial when its record cannot be written.
    expect((await t.as(SUPPORT).get(`/v1/secrets/${path}`)).status).toBe(403);
    expect((await t.as(OWNER_VIEW).get(`/v1/secrets/${path}`)).status).toBe(403);
    // A write whose record fails: the change happened, the caller is told 503.
    const written = await t.as().put(`/v1/secrets/${path}`, { value: { secretKey: 'second' } });
    expect(written.status).toBe(503);

    state.failPuts = false;
    t.clock.advance(1);
    const served = await t.as(ENGINES[0]).get(`/v1/secrets/${path}`);
    expect(served.status).toBe(200);
    expect(served.body.version).toBe(2);
    // The version-2 write is visible on the HEAD without a matching record.
    t.clock.advance(1);
    const history = await t.as().get(`/v1/audit/${path}`);
    expect(history.body.items.map((i: { action: string; versions: number[] }) => [i.action, i.versions])).toEqual([
      ['read', [2]],
      ['write', [1]],
    ]);
    // ...and `audit verify --path` names it: the secret's own account against its records.
    const records = (await t.chain!.history({ path, since: '1970', until: '9999', limit: 100 })).records;
    expect(unrecordedChanges((await t.store.getHead(path))!, records, t.clock.now(), 400)).toEqual([
      expect.objectContaining({
        kind: 'unrecorded-change',
        from: 2,
        detail: expect.stringMatching(/version 2, written by/),
      }),
    ]);
    const captured = [t.logger.text(), ...printed].join('\n');
    expect(captured).toContain('dependency_unavailable');
    expect(t.logger.records.filter((r) => r.type === 'request' && r.status === 503)).toHaveLength(2);
    for (const form of [VALUE_CANARY, Buffer.from(VALUE_CANARY).toString('base64')])
      expect(captured).not.toContain(form);
  });

  it('denied requests are recorded with their reason; no record holds a value, label value, signature or query string', async () => {
    const exchanges = {
      checker: new HttpExchangeChecker({ baseUrls: { okx: okx.url }, timeoutMs: 2000 }),
      macs: new LocalMacProvider(randomBytes(32)),
      settings: { check: 'required' as const, policy: parseCheckPolicy({}) },
    };
    const t = await testApp({ policy, trail: {}, exchanges });
    const plain = 'exchange-keys/u-9/notes';
    const key = 'exchange-keys/u-9/okx';
    const credential = demoCredential('okx', 'demo-trade');
    expect(
      (await t.as().put(`/v1/secrets/${plain}`, { value: VALUE_CANARY, labels: { customer: LABEL_CANARY } })).status,
    ).toBe(201);
    expect(
      (await t.as().put(`/v1/secrets/${key}`, { kind: 'exchange-api-key', exchange: 'okx', value: credential })).status,
    ).toBe(201);
    expect(
      (
        await t.as().put(`/v1/secrets/${key}`, {
          kind: 'exchange-api-key',
          exchange: 'okx',
          value: demoCredential('okx', 'demo-withdraw'),
        })
      ).status,
    ).toBe(422);
    expect(
      (
        await t
          .as(ENGINES[1])
          .get(`/v1/secrets/${plain}`, { authorization: `AWS4-HMAC-SHA256 Signature=${SIGNATURE_CANARY}` })
      ).status,
    ).toBe(200);
    expect((await t.as(SUPPORT).get(`/v1/secrets/${plain}?version=1`)).status).toBe(403);
    expect((await t.as(OWNER_VIEW).get(`/v1/audit/${plain}?cursor=${QUERY_CANARY}`)).status).toBe(400);
    expect((await t.as(ENGINES[2]).get(`/v1/secrets/${key}`)).status).toBe(200);

    const items = await t.scanAudit();
    const records = items.filter((item) => !item.pk!.S!.startsWith('~'));
    const denied = records.filter((item) => item.dec?.S === 'deny');
    expect(denied.map((item) => [item.who?.S, item.act?.S, item.why?.S, item.res?.S, item.ver?.S])).toEqual([
      [SUPPORT, 'read', 'no rule allows it', 'access_denied', '1'],
    ]);
    const refusedCursor = records.find((item) => item.act?.S === 'audit');
    expect(refusedCursor?.res?.S).toBe('validation_error');
    // The exchange check's outcome, as flags: stored, and refused for withdraw.
    const checks = records
      .filter((item) => item.xc)
      .map((item) => [item.res?.S, JSON.parse(item.xc!.S!)])
      .sort(([a], [b]) => String(a).localeCompare(String(b)));
    expect(checks).toEqual([
      ['exchange_key_rejected', { exchange: 'okx', checked: true, flagged: ['withdraw_enabled'] }],
      [
        'ok',
        {
          exchange: 'okx',
          checked: true,
          canTrade: true,
          canTradeDerivatives: true,
          canWithdraw: false,
          canTransfer: true,
          ipRestricted: true,
          flagged: [],
        },
      ],
    ]);
    const secrets = collectSecrets(okx.requests, [
      VALUE_CANARY,
      LABEL_CANARY,
      SIGNATURE_CANARY,
      QUERY_CANARY,
      credential.secretKey,
      credential.apiKey,
      ...(credential.passphrase ? [credential.passphrase] : []),
    ]);
    expect(secrets.length).toBeGreaterThan(7);
    for (const item of items) {
      const bytes = itemBytes(item).toString('utf8');
      for (const secret of secrets) expect(bytes).not.toContain(secret);
    }
  });
});

describe('two vault processes, one store', () => {
  it('50 concurrent reads of one secret make 50 records on two chains that verify clean', async () => {
    const one = await testApp({ policy, trail: {} });
    // The second process: same store, same key, its own chain.
    const two = await testApp({
      policy,
      keys: one.keys,
      tableName: one.tableName,
      trail: { tableName: one.auditTableName! },
    });
    const path = 'exchange-keys/u-3/kucoin';
    expect((await one.as().put(`/v1/secrets/${path}`, { value: { secretKey: 'sk' } })).status).toBe(201);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? one : two).as(ENGINES[i % 3]).get(`/v1/secrets/${path}`, { 'x-vault-purpose': `read ${i}` }),
      ),
    );
    expect(answers.map((res) => res.status)).toEqual(Array(50).fill(200));
    await one.chain!.close();
    await two.chain!.close();

    const { client } = await dynamo();
    const report = await verifyTrail({
      source: new DynamoDbTrailStore(client, one.auditTableName!),
      macs: TEST_MACS,
      now: new Date(Date.now() + 60_000),
      retentionDays: 2,
      settleSeconds: 0,
      path,
    });
    expect(report.findings).toEqual([]);
    expect(report.path).toEqual({ path, records: 51 });
    expect(report.chains.map((c) => c.chain).sort()).toEqual([one.chain!.chain, two.chain!.chain].sort());
    const byChain = Object.fromEntries(report.chains.map((c) => [c.chain, c]));
    expect(byChain[one.chain!.chain]).toMatchObject({ records: 26, lastSeq: 26, coveredThrough: 26 });
    expect(byChain[two.chain!.chain]).toMatchObject({ records: 25, lastSeq: 25, coveredThrough: 25 });
    const reads = (await one.scanAudit()).filter((item) => item.act?.S === 'read');
    expect(reads).toHaveLength(50);
    expect(new Set(reads.map((item) => item.pur?.S)).size).toBe(50);
  });
});
