import request from 'supertest';
import { itemBytes, testApp } from '../support/app';
import { CountingKeyProvider } from '../support/counting-key-provider';
import { dynamo, stopDynamo } from '../support/dynamo';

afterAll(stopDynamo);
beforeAll(() => dynamo());

const PATH = 'exchange-keys/user-1842/binance-main';
const CREDS = { apiKey: 'AK-1842-visible-nowhere', secretKey: 'SK-c2VjcmV0LWtleQ', passphrase: 'pass phrase 1842' };

function expectErrorBody(res: request.Response, status: number, code?: string) {
  expect(res.status).toBe(status);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body.error).toEqual(
    expect.objectContaining({
      code: code ?? expect.any(String),
      message: expect.any(String),
      requestId: res.headers['x-request-id'],
    }),
  );
}

describe('HTTP API: happy paths', () => {
  it('serves /healthz without identity and without touching dependencies', async () => {
    const keys = new CountingKeyProvider();
    const t = await testApp({ keys });
    const res = await request(t.app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(keys.keyServiceCalls).toBe(0);
  });

  it('writes (201 then 200), reads current and past versions, describes and lists', async () => {
    const t = await testApp();
    const api = t.as();
    const created = await api.put(`/v1/secrets/${PATH}`, {
      value: CREDS,
      labels: { exchange: 'binance', owner: 'user-1842' },
    });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body).toEqual(
      expect.objectContaining({ path: PATH, version: 1, labels: { exchange: 'binance', owner: 'user-1842' } }),
    );
    expect(JSON.stringify(created.body)).not.toContain(CREDS.secretKey);

    const second = await api.put(`/v1/secrets/${PATH}`, { value: 'rotated-string-value' });
    expect(second.status).toBe(200);
    expect(second.body.version).toBe(2);
    expect(second.body.labels).toEqual({ exchange: 'binance', owner: 'user-1842' });

    const current = await api.get(`/v1/secrets/${PATH}`);
    expect(current.status).toBe(200);
    expect(current.headers['cache-control']).toBe('no-store');
    expect(current.body).toEqual(expect.objectContaining({ path: PATH, version: 2, value: 'rotated-string-value' }));
    const first = await api.get(`/v1/secrets/${PATH}?version=1`);
    expect(first.body).toEqual(expect.objectContaining({ version: 1, value: CREDS }));

    const described = await api.get(`/v1/metadata/${PATH}`);
    expect(described.status).toBe(200);
    expect(described.body).toEqual(
      expect.objectContaining({ path: PATH, version: 2, rotationDueAt: expect.any(String) }),
    );
    expect(described.body.versions.map((v: { version: number; state: string }) => [v.version, v.state])).toEqual([
      [1, 'active'],
      [2, 'active'],
    ]);
    expect(described.body).not.toHaveProperty('value');
    expect(described.body).not.toHaveProperty('rev');
    expect(JSON.stringify(described.body)).not.toMatch(/rotated-string-value|SK-c2Vj/);

    for (let i = 0; i < 5; i++) await api.put(`/v1/secrets/exchange-keys/user-7/k${i}`, { value: `v${i}` });
    await api.put('/v1/secrets/other/thing', { value: 'x' });
    const paths: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await api.get(
        `/v1/metadata?prefix=exchange-keys/&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      for (const item of res.body.items) {
        expect(item).not.toHaveProperty('value');
        paths.push(item.path);
      }
      cursor = res.body.cursor;
      if (!cursor) break;
    }
    expect(paths).toEqual([PATH, ...Array.from({ length: 5 }, (_, i) => `exchange-keys/user-7/k${i}`)]);
  });

  it('answers 404 for an unknown path or a version never written, and 409 on a cas mismatch', async () => {
    const t = await testApp();
    const api = t.as();
    expectErrorBody(await api.get('/v1/secrets/nope/x'), 404, 'not_found');
    expectErrorBody(await api.get('/v1/metadata/nope/x'), 404, 'not_found');
    await api.put('/v1/secrets/a/b', { value: 'v' });
    expectErrorBody(await api.get('/v1/secrets/a/b?version=2'), 404, 'not_found');
    expectErrorBody(await api.put('/v1/secrets/a/b', { value: 'v', cas: 0 }), 409, 'conflict');
    expectErrorBody(await api.put('/v1/secrets/a/c', { value: 'v', cas: 1 }), 409, 'conflict');
    expect((await api.put('/v1/secrets/a/b', { value: 'w', cas: 1 })).status).toBe(200);
    expect((await api.put('/v1/secrets/a/new', { value: 'w', cas: 0 })).status).toBe(201);
    expectErrorBody(await api.get('/v1/nothing-here'), 404, 'not_found');
  });
});

describe('HTTP API: bad input gets a 4xx with the error body and stores nothing', () => {
  const badPaths: Array<[string, string]> = [
    ['dot-dot segment', '/v1/secrets/a/../b'],
    ['encoded dot-dot', '/v1/secrets/a/%2e%2e/b'],
    ['encoded slash', '/v1/secrets/a%2Fb'],
    ['empty segment', '/v1/secrets/a//b'],
    ['trailing slash', '/v1/secrets/a/b/'],
    ['leading dot', '/v1/secrets/.hidden'],
    ['9 segments', `/v1/secrets/${Array.from({ length: 9 }, (_, i) => `s${i}`).join('/')}`],
    ['513 characters', `/v1/secrets/${Array.from({ length: 5 }, () => 'a'.repeat(100)).join('/')}/abcdefgh`],
    ['129-character segment', `/v1/secrets/${'a'.repeat(129)}`],
    ['space', '/v1/secrets/a%20b'],
  ];

  it('has a 513-character path case that is really 513 characters', () => {
    expect(badPaths.find(([n]) => n === '513 characters')![1].slice('/v1/secrets/'.length)).toHaveLength(513);
  });

  it.each(badPaths)('path with %s', async (_name, url) => {
    const t = await testApp();
    const put = await t.as().put(url, { value: 'v' });
    expect(put.status).toBeGreaterThanOrEqual(400);
    expect(put.status).toBeLessThan(500);
    expect(put.body.error.requestId).toBe(put.headers['x-request-id']);
    const get = await t.as().get(url);
    expect(get.status).toBeGreaterThanOrEqual(400);
    expect(get.status).toBeLessThan(500);
    expect(await t.scan()).toHaveLength(0);
  });

  it('accepts the longest valid path (512 characters, 8 segments)', async () => {
    const t = await testApp();
    const path = [...Array.from({ length: 7 }, () => 'a'.repeat(64)), 'b'.repeat(512 - 7 * 65)].join('/');
    expect(path).toHaveLength(512);
    expect((await t.as().put(`/v1/secrets/${path}`, { value: 'v' })).status).toBe(201);
  });

  const badBodies: Array<[string, unknown, number]> = [
    ['an unknown field', { value: 'v', colour: 'red' }, 400],
    ['no value', { labels: {} }, 400],
    ['a number value', { value: 42 }, 400],
    ['an array value', { value: ['a'] }, 400],
    ['a null value', { value: null }, 400],
    ['a string cas', { value: 'v', cas: '1' }, 400],
    ['a negative cas', { value: 'v', cas: -1 }, 400],
    ['a fractional cas', { value: 'v', cas: 1.5 }, 400],
    ['a numeric label value', { value: 'v', labels: { a: 1 } }, 400],
    [
      '33 labels',
      { value: 'v', labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) },
      400,
    ],
    ['a 129-character label key', { value: 'v', labels: { ['k'.repeat(129)]: 'v' } }, 400],
    ['a 257-character label value', { value: 'v', labels: { k: 'v'.repeat(257) } }, 400],
    ['a value over 16 KiB of JSON', { value: 'x'.repeat(16 * 1024) }, 413],
  ];

  it.each(badBodies)('body with %s', async (_name, body, status) => {
    const t = await testApp();
    expectErrorBody(await t.as().put('/v1/secrets/a/b', body), status);
    expect(await t.scan()).toHaveLength(0);
  });

  it.each([
    ['__proto__ at the top', '{"value":"v","__proto__":{"admin":true}}'],
    ['__proto__ inside the value', '{"value":{"__proto__":{"polluted":true}}}'],
    ['constructor inside the value', '{"value":{"constructor":{"prototype":{"polluted":true}}}}'],
    ['__proto__ inside labels', '{"value":"v","labels":{"__proto__":"x"}}'],
    ['malformed JSON', '{"value": "v"'],
    ['JSON that is not an object', '"just a string"'],
  ])('raw body with %s', async (_name, raw) => {
    const t = await testApp();
    const res = await request(t.app)
      .put('/v1/secrets/a/b')
      .set('x-test-principal', 'arn:aws:iam::111122223333:role/vault-admin')
      .set('content-type', 'application/json')
      .send(raw);
    expectErrorBody(res, 400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await t.scan()).toHaveLength(0);
  });

  it('refuses non-JSON bodies with 415', async () => {
    const t = await testApp();
    const res = await request(t.app)
      .put('/v1/secrets/a/b')
      .set('x-test-principal', 'arn:aws:iam::111122223333:role/vault-admin')
      .set('content-type', 'text/plain')
      .send('value=v');
    expectErrorBody(res, 415, 'unsupported_media_type');
    const form = await request(t.app)
      .put('/v1/secrets/a/b')
      .set('x-test-principal', 'arn:aws:iam::111122223333:role/vault-admin')
      .type('form')
      .send({ value: 'v' });
    expectErrorBody(form, 415);
    expect(await t.scan()).toHaveLength(0);
  });

  it('refuses bodies over 64 KiB with 413', async () => {
    const t = await testApp();
    const res = await request(t.app)
      .put('/v1/secrets/a/b')
      .set('x-test-principal', 'arn:aws:iam::111122223333:role/vault-admin')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ value: 'x'.repeat(70 * 1024) }));
    expectErrorBody(res, 413, 'too_large');
    expect(await t.scan()).toHaveLength(0);
  });

  it.each(['0', '-1', '1.5', '99999999999', 'abc', '01', '1e3', ''])(
    'refuses ?version=%s with 400',
    async (version) => {
      const t = await testApp();
      await t.as().put('/v1/secrets/a/b', { value: 'v' });
      expectErrorBody(await t.as().get(`/v1/secrets/a/b?version=${version}`), 400, 'validation_error');
    },
  );

  it('refuses repeated and unknown query parameters and bad list parameters', async () => {
    const t = await testApp();
    await t.as().put('/v1/secrets/a/b', { value: 'v' });
    expectErrorBody(await t.as().get('/v1/secrets/a/b?version=1&version=1'), 400);
    expectErrorBody(await t.as().get('/v1/secrets/a/b?verbose=1'), 400);
    expectErrorBody(await t.as().get('/v1/metadata?limit=0'), 400);
    expectErrorBody(await t.as().get('/v1/metadata?limit=101'), 400);
    expectErrorBody(await t.as().get('/v1/metadata?rotationDue=maybe'), 400);
    expectErrorBody(await t.as().get('/v1/metadata?cursor=not-a-cursor'), 400);
    expectErrorBody(await t.as().get('/v1/metadata?prefix=../x'), 400);
  });

  it('a cursor from one listing is refused by another', async () => {
    const t = await testApp();
    for (let i = 0; i < 3; i++) await t.as().put(`/v1/secrets/p/s${i}`, { value: 'v' });
    const page = await t.as().get('/v1/metadata?prefix=p/&limit=1');
    expect(page.body.cursor).toBeDefined();
    expectErrorBody(
      await t.as().get(`/v1/metadata?prefix=q/&limit=1&cursor=${encodeURIComponent(page.body.cursor)}`),
      400,
    );
  });
});

describe('stolen table: a raw scan holds no plaintext value and no unwrapped data key', () => {
  it('finds neither the value (raw, base64, hex) nor any data key in any attribute', async () => {
    const keys = new CountingKeyProvider(undefined, { keepKeys: true });
    const t = await testApp({ keys });
    const secret = 'S3CR3T-exchange-key-0123456789abcdef';
    await t.as().put(`/v1/secrets/${PATH}`, { value: { secretKey: secret } });
    await t.as().put(`/v1/secrets/${PATH}`, { value: secret });
    expect((await t.as().get(`/v1/secrets/${PATH}?version=1`)).body.value).toEqual({ secretKey: secret });
    const items = await t.scan();
    expect(items.length).toBe(2);
    const dataKeys = keys.handedOut.filter((k) => k.operation === 'generateDataKey').map((k) => k.bytes);
    expect(dataKeys).toHaveLength(2);
    const haystack = Buffer.concat(items.map(itemBytes));
    for (const needle of [
      Buffer.from(secret),
      Buffer.from(Buffer.from(secret).toString('base64')),
      Buffer.from(Buffer.from(secret).toString('hex')),
    ]) {
      expect(haystack.includes(needle)).toBe(false);
    }
    for (const key of dataKeys) {
      expect(haystack.includes(key)).toBe(false);
      expect(haystack.includes(Buffer.from(key.toString('base64')))).toBe(false);
      expect(haystack.includes(Buffer.from(key.toString('hex')))).toBe(false);
    }
  });
});
