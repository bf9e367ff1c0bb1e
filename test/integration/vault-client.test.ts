import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Credential } from '../../src/adapters/auth/credentials-file';
import { verifySigV4 } from '../../src/adapters/auth/sigv4-verifier';
import { VaultClient, VaultClientError } from '../../src/client/vault-client';

const KEY: Credential = {
  accessKeyId: 'AKLVCLIENTTEST234567',
  secretAccessKey: 'c1ient-test-secret-0123456789abcdefghijkl',
  principal: 'arn:aws:iam::123456789012:role/payments',
};

interface Echo {
  method: string;
  path: string;
  query: string;
  params: Record<string, string>;
  contentType: string | null;
  body: unknown;
  principal: string;
  signedHeaders: string;
}

/** Verifies each request's signature, then echoes what it received. */
function handle(
  req: IncomingMessage,
  body: Buffer,
): { status: number; headers?: Record<string, string>; payload: string } {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  let principal: string;
  try {
    principal = verifySigV4(
      { method: req.method ?? '', path, query, headers: req.headers, body },
      { lookup: (id) => (id === KEY.accessKeyId ? KEY : undefined), region: 'eu-central-1' },
    ).principal;
  } catch {
    const message = 'the request could not be authenticated';
    return {
      status: 401,
      payload: JSON.stringify({ error: { code: 'unauthenticated', message, requestId: 'req-401' } }),
    };
  }
  if (path.endsWith('/missing')) {
    return {
      status: 404,
      payload: JSON.stringify({
        error: { code: 'not_found', message: 'no secret at this path', requestId: 'req-404' },
      }),
    };
  }
  if (path.endsWith('/refused')) {
    return {
      status: 422,
      payload: JSON.stringify({
        error: {
          code: 'exchange_key_rejected',
          message: 'the okx key is refused: withdraw_enabled',
          requestId: 'req-422',
          details: ['withdraw_enabled'],
        },
      }),
    };
  }
  if (path.endsWith('/broken')) {
    return { status: 502, headers: { 'content-type': 'text/plain', 'x-request-id': 'gw-1' }, payload: 'Bad Gateway' };
  }
  const echo: Echo = {
    method: req.method ?? '',
    path,
    query,
    params: Object.fromEntries(new URLSearchParams(query)),
    contentType: req.headers['content-type'] ?? null,
    body: body.length > 0 ? JSON.parse(body.toString('utf8')) : null,
    principal,
    signedHeaders: /SignedHeaders=([^,]+)/.exec(req.headers.authorization ?? '')?.[1] ?? '',
  };
  return { status: 200, payload: JSON.stringify(echo) };
}

describe('VaultClient', () => {
  let server: Server;
  let endpoint: string;
  let client: VaultClient;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const { status, headers, payload } = handle(req, Buffer.concat(chunks));
        res.writeHead(status, headers ?? { 'content-type': 'application/json; charset=utf-8' }).end(payload);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new VaultClient({ endpoint, region: 'eu-central-1', credentials: KEY });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // The echo server answers every route with what it received, not with the route's view.
  const calls: Array<[string, () => Promise<unknown>, Partial<Echo>]> = [
    [
      'putSecret with options',
      () =>
        client.putSecret(
          'exchange-keys/user-1/okx',
          { apiKey: 'a' },
          { labels: { exchange: 'okx' }, cas: 0, rotationDays: 30 },
        ),
      {
        method: 'PUT',
        path: '/v1/secrets/exchange-keys/user-1/okx',
        query: '',
        contentType: 'application/json',
        body: { value: { apiKey: 'a' }, labels: { exchange: 'okx' }, cas: 0, rotationDays: 30 },
      },
    ],
    [
      'putExchangeKey with options',
      () =>
        client.putExchangeKey(
          'exchange-keys/user-1/okx',
          'okx',
          { apiKey: 'a', secretKey: 's', passphrase: 'p' },
          { labels: { team: 'desk' }, cas: 0, rotationDays: 90 },
        ),
      {
        method: 'PUT',
        path: '/v1/secrets/exchange-keys/user-1/okx',
        query: '',
        contentType: 'application/json',
        body: {
          kind: 'exchange-api-key',
          exchange: 'okx',
          value: { apiKey: 'a', secretKey: 's', passphrase: 'p' },
          labels: { team: 'desk' },
          cas: 0,
          rotationDays: 90,
        },
      },
    ],
    [
      'putExchangeKey',
      () => client.putExchangeKey('k/binance', 'binance', { apiKey: 'a', secretKey: 's' }),
      {
        method: 'PUT',
        path: '/v1/secrets/k/binance',
        body: { kind: 'exchange-api-key', exchange: 'binance', value: { apiKey: 'a', secretKey: 's' } },
      },
    ],
    [
      'putSecret with a string',
      () => client.putSecret('a/b', 'plain'),
      { method: 'PUT', path: '/v1/secrets/a/b', body: { value: 'plain' } },
    ],
    [
      'getSecret',
      () => client.getSecret('a/b'),
      { method: 'GET', path: '/v1/secrets/a/b', query: '', body: null, contentType: null },
    ],
    [
      'getSecret with a version',
      () => client.getSecret('a/b', { version: 3 }),
      { method: 'GET', path: '/v1/secrets/a/b', params: { version: '3' } },
    ],
    [
      'describeSecret',
      () => client.describeSecret('a/b.c_d-e'),
      { method: 'GET', path: '/v1/metadata/a/b.c_d-e', query: '', body: null },
    ],
    ['listSecrets', () => client.listSecrets(), { method: 'GET', path: '/v1/metadata', query: '' }],
    [
      'listSecrets with every option',
      () => client.listSecrets({ prefix: 'exchange-keys/', rotationDue: true, limit: 10, cursor: 'ab+c/d=' }),
      {
        method: 'GET',
        path: '/v1/metadata',
        query: 'prefix=exchange-keys%2F&rotationDue=true&limit=10&cursor=ab%2Bc%2Fd%3D',
        params: { prefix: 'exchange-keys/', rotationDue: 'true', limit: '10', cursor: 'ab+c/d=' },
      },
    ],
    ['listSecrets with rotationDue false', () => client.listSecrets({ rotationDue: false }), { query: '' }],
    [
      'listSecrets flagged',
      () => client.listSecrets({ prefix: 'k/', flagged: true }),
      {
        method: 'GET',
        path: '/v1/metadata',
        query: 'prefix=k%2F&flagged=true',
        params: { prefix: 'k/', flagged: 'true' },
      },
    ],
    ['listSecrets with flagged false', () => client.listSecrets({ flagged: false }), { query: '' }],
    [
      'deleteSecret',
      () => client.deleteSecret('a/b'),
      { method: 'DELETE', path: '/v1/secrets/a/b', query: '', body: null },
    ],
    [
      'deleteSecret with versions and cas',
      () => client.deleteSecret('a/b', { versions: [1, 2], cas: 4 }),
      { method: 'DELETE', path: '/v1/secrets/a/b', params: { versions: '1,2', cas: '4' } },
    ],
    [
      'undeleteSecret',
      () => client.undeleteSecret('a/b', [1, 2], { cas: 3 }),
      { method: 'POST', path: '/v1/undelete/a/b', query: '', body: { versions: [1, 2], cas: 3 } },
    ],
    [
      'destroySecret',
      () => client.destroySecret('a/b', [1]),
      { method: 'POST', path: '/v1/destroy/a/b', body: { versions: [1] } },
    ],
    [
      'deleteMetadata',
      () => client.deleteMetadata('a/b'),
      { method: 'DELETE', path: '/v1/metadata/a/b', query: '', body: null },
    ],
    [
      'deleteMetadata with cas',
      () => client.deleteMetadata('a/b', { cas: 2 }),
      { method: 'DELETE', path: '/v1/metadata/a/b', params: { cas: '2' } },
    ],
    [
      'rewrap',
      () => client.rewrap('a/b'),
      { method: 'POST', path: '/v1/rewrap/a/b', query: '', body: {}, contentType: 'application/json' },
    ],
    [
      'recheckExchangeKey',
      () => client.recheckExchangeKey('k/okx'),
      { method: 'POST', path: '/v1/exchange-check/k/okx', query: '', body: {}, contentType: 'application/json' },
    ],
  ];

  it.each(calls)('%s sends a verified request of the right shape', async (_name, call, expected) => {
    const echo = (await call()) as Echo;
    expect(echo).toMatchObject(expected);
    expect(echo.principal).toBe(KEY.principal);
    expect(echo.signedHeaders.split(';')).toEqual(
      expect.arrayContaining(['host', 'x-amz-date', 'x-amz-content-sha256']),
    );
  });

  it('turns an error body into a VaultClientError', async () => {
    const error = await client.getSecret('a/missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultClientError);
    expect(error).toMatchObject({
      status: 404,
      code: 'not_found',
      message: 'no secret at this path',
      requestId: 'req-404',
    });
  });

  it("keeps the error's details (what the exchange said of a refused key)", async () => {
    const error = await client
      .putExchangeKey('k/refused', 'okx', { apiKey: 'a', secretKey: 's', passphrase: 'p' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultClientError);
    expect(error).toMatchObject({ status: 422, code: 'exchange_key_rejected', details: ['withdraw_enabled'] });
    const plain = await client.getSecret('a/missing').catch((e: unknown) => e);
    expect((plain as VaultClientError).details).toBeUndefined();
  });

  it('gives a non-JSON error a generic code and the request id header', async () => {
    await expect(client.describeSecret('a/broken')).rejects.toMatchObject({
      status: 502,
      code: 'http_502',
      requestId: 'gw-1',
    });
  });

  it('is refused with 401 when the secret is wrong', async () => {
    const wrong = new VaultClient({
      endpoint,
      region: 'eu-central-1',
      credentials: { ...KEY, secretAccessKey: 'wrong-secret-value' },
    });
    await expect(wrong.getSecret('a/b')).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
  });

  it('signs for the configured region only', async () => {
    const other = new VaultClient({ endpoint, region: 'us-east-1', credentials: KEY });
    await expect(other.getSecret('a/b')).rejects.toMatchObject({ status: 401 });
  });

  it('accepts a credentials provider, including a session token', async () => {
    const provider = jest.fn(async () => ({ ...KEY, sessionToken: 'session-token' }));
    const viaProvider = new VaultClient({ endpoint, region: 'eu-central-1', credentials: provider });
    const echo = (await viaProvider.getSecret('a/b')) as unknown as Echo;
    expect(echo.principal).toBe(KEY.principal);
    expect(echo.signedHeaders.split(';')).toContain('x-amz-security-token');
    expect(provider).toHaveBeenCalled();
  });

  it('keeps a base path in the endpoint and uses the given fetch', async () => {
    const spy = jest.fn(fetch);
    const staged = new VaultClient({
      endpoint: `${endpoint}/prod/`,
      region: 'eu-central-1',
      credentials: KEY,
      fetch: spy,
    });
    const echo = (await staged.putSecret('a/b', 'v')) as unknown as Echo;
    expect(echo).toMatchObject({ path: '/prod/v1/secrets/a/b', principal: KEY.principal });
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('request() returns non-2xx responses instead of throwing, and re-encodes the query it is given', async () => {
    const missing = await client.request('GET', '/v1/secrets/a/missing');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: expect.objectContaining({ code: 'not_found' }) });
    const listed = await client.request('GET', '/v1/metadata?prefix=a/b&limit=5&prefix=c+d');
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ query: 'prefix=a%2Fb&limit=5&prefix=c%20d', principal: KEY.principal });
    const posted = await client.request('POST', '/v1/rewrap/a/b', { x: 1 });
    expect(posted.body).toMatchObject({ method: 'POST', body: { x: 1 }, contentType: 'application/json' });
  });

  it('rejects secret paths that would not reach the server as written, before sending anything', async () => {
    const spy = jest.fn(fetch);
    const guarded = new VaultClient({ endpoint, region: 'eu-central-1', credentials: KEY, fetch: spy });
    for (const bad of ['', '/a', 'a/', 'a//b', '../a', 'a/./b', 'a b', 'a?b', 'a#b', 'a%2Fb']) {
      await expect(guarded.getSecret(bad)).rejects.toThrow(TypeError);
    }
    expect(spy).not.toHaveBeenCalled();
  });
});
