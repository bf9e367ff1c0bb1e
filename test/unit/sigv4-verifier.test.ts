import { createHash, createHmac } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Credential } from '../../src/adapters/auth/credentials-file';
import {
  type IncomingSignedRequest,
  type SigV4VerifierOptions,
  verifySigV4,
} from '../../src/adapters/auth/sigv4-verifier';
import { AuthenticationError } from '../../src/core/errors';

const KEY: Credential = {
  accessKeyId: 'AKLVTESTKEY234567ABC',
  secretAccessKey: 'x8Jq3mZ0rT5vW2yB6nC9pD1fG4hK7lS0aE3iU6oQ',
  principal: 'arn:aws:iam::123456789012:role/payments',
};
const NOW = new Date('2024-05-01T12:00:00Z');
const OPTS: SigV4VerifierOptions = {
  lookup: (id) => (id === KEY.accessKeyId ? KEY : undefined),
  region: 'us-east-1',
  now: () => NOW,
};

interface Unsigned {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
}

const BASE: Unsigned = {
  method: 'PUT',
  path: '/v1/secrets/exchange-keys/user-1/binance',
  query: 'version=2&prefix=a%2Fb',
  headers: { host: 'vault.internal:8443', 'content-type': 'application/json' },
  body: '{"value":"x"}',
};

interface SignOptions {
  accessKeyId?: string;
  secret?: string;
  region?: string;
  service?: string;
  date?: Date;
}

/** Signs the way src/client does: @smithy/signature-v4 with its defaults. */
async function smithySign(req: Unsigned, o: SignOptions = {}): Promise<IncomingSignedRequest> {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(req.query)) {
    const prev = query[k];
    query[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  const signer = new SignatureV4({
    service: o.service ?? 'execute-api',
    region: o.region ?? 'us-east-1',
    credentials: { accessKeyId: o.accessKeyId ?? KEY.accessKeyId, secretAccessKey: o.secret ?? KEY.secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: req.method,
      hostname: 'vault.internal',
      path: req.path,
      query,
      headers: { ...req.headers },
      body: req.body,
    }),
    { signingDate: o.date ?? NOW },
  );
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = v;
  return { method: req.method, path: req.path, query: req.query, headers, body: Buffer.from(req.body) };
}

interface CurlSignOptions extends SignOptions {
  signedHeaders?: string[];
  scopeDate?: string;
  canonicalPath?: string;
  /** Sign the query exactly as sent, as curl 7.x does. */
  rawQuery?: boolean;
}

const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalQuery(raw: string): string {
  if (raw === '') return '';
  return raw
    .split('&')
    .map((part) => {
      const [k, v = ''] = part.split(/=(.*)/s);
      return `${rfc3986(decodeURIComponent(k!))}=${rfc3986(decodeURIComponent(v))}`;
    })
    .sort()
    .join('&');
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/**
 * An independent signer shaped like curl --aws-sigv4: signs host, x-amz-date and content-type
 * when present, the path exactly as sent, the query sorted. Options let a test sign a request
 * the way a broken or hostile client would.
 */
function curlSign(req: Unsigned, o: CurlSignOptions = {}): IncomingSignedRequest {
  const date = (o.date ?? NOW).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const scopeDate = o.scopeDate ?? date.slice(0, 8);
  const region = o.region ?? 'us-east-1';
  const service = o.service ?? 'execute-api';
  const headers: Record<string, string> = { ...req.headers, 'x-amz-date': date };
  const signedHeaders = o.signedHeaders ?? ['content-type', 'host', 'x-amz-date'].filter((h) => h in headers);
  const query = o.rawQuery ? req.query : canonicalQuery(req.query);
  const canonical = [
    req.method,
    o.canonicalPath ?? req.path,
    query,
    signedHeaders.map((h) => `${h}:${headers[h] ?? ''}\n`).join(''),
    signedHeaders.join(';'),
    sha256(req.body),
  ].join('\n');
  const scope = `${scopeDate}/${region}/${service}/aws4_request`;
  let key = hmac(`AWS4${o.secret ?? KEY.secretAccessKey}`, scopeDate);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const signature = hmac(key, ['AWS4-HMAC-SHA256', date, scope, sha256(canonical)].join('\n')).toString('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${o.accessKeyId ?? KEY.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return { method: req.method, path: req.path, query: req.query, headers, body: Buffer.from(req.body) };
}

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthenticationError);
    return (error as AuthenticationError).reason;
  }
  throw new Error('expected verifySigV4 to throw');
}

const signers = {
  smithy: smithySign,
  curl: async (req: Unsigned, o?: SignOptions) => curlSign(req, o),
};
const MINUTE = 60_000;

describe.each(Object.entries(signers))('verifySigV4 with a %s-shaped signer', (_name, sign) => {
  it('accepts a correctly signed request and returns the principal', async () => {
    expect(verifySigV4(await sign(BASE), OPTS)).toEqual({ principal: KEY.principal, accessKeyId: KEY.accessKeyId });
  });

  it('accepts requests without a body or query, and with an encoded path', async () => {
    const get = { ...BASE, method: 'GET', query: '', body: '', headers: { host: 'vault.internal' } };
    expect(verifySigV4(await sign(get), OPTS).principal).toBe(KEY.principal);
    expect(verifySigV4(await sign({ ...BASE, path: '/v1/secrets/a%20b' }), OPTS).principal).toBe(KEY.principal);
  });

  it('accepts a query with repeated, empty and encoded parameters in any order', async () => {
    const req = { ...BASE, query: 'z=1&a=2&a=1&empty&enc=%7E%21&slash=a/b' };
    expect(verifySigV4(await sign(req), OPTS).principal).toBe(KEY.principal);
  });

  it('accepts a date just inside the allowed skew', async () => {
    const old = await sign(BASE, { date: new Date(NOW.getTime() - 4 * MINUTE) });
    expect(verifySigV4(old, OPTS).principal).toBe(KEY.principal);
  });

  const refusals: Array<[string, () => Promise<IncomingSignedRequest>, RegExp]> = [
    ['wrong secret', () => sign(BASE, { secret: 'not-the-secret-at-all' }), /signature/],
    ['altered body', async () => ({ ...(await sign(BASE)), body: Buffer.from('{"value":"y"}') }), /signature|sha256/],
    [
      'altered path',
      async () => ({ ...(await sign(BASE)), path: '/v1/secrets/exchange-keys/user-2/binance' }),
      /signature/,
    ],
    ['altered query', async () => ({ ...(await sign(BASE)), query: 'version=3&prefix=a%2Fb' }), /signature/],
    ['query parameter added', async () => ({ ...(await sign(BASE)), query: `${BASE.query}&cas=1` }), /signature/],
    [
      'altered signed header',
      async () => {
        const req = await sign(BASE);
        return { ...req, headers: { ...req.headers, 'content-type': 'text/plain' } };
      },
      /signature/,
    ],
    ['date 6 minutes old', () => sign(BASE, { date: new Date(NOW.getTime() - 6 * MINUTE) }), /skew/],
    ['date 6 minutes ahead', () => sign(BASE, { date: new Date(NOW.getTime() + 6 * MINUTE) }), /skew/],
    ['wrong region', () => sign(BASE, { region: 'eu-west-1' }), /region/],
    ['wrong service', () => sign(BASE, { service: 's3' }), /service/],
    ['unknown access key', () => sign(BASE, { accessKeyId: 'AKLVUNKNOWN234567ABC' }), /unknown access key/],
    [
      'missing authorization',
      async () => {
        const req = await sign(BASE);
        const { authorization: _, ...headers } = req.headers;
        return { ...req, headers };
      },
      /authorization header missing/,
    ],
    [
      'a Date header instead of X-Amz-Date',
      async () => {
        const req = await sign(BASE);
        const { 'x-amz-date': _, ...headers } = req.headers;
        return { ...req, headers: { ...headers, date: NOW.toUTCString() } };
      },
      /x-amz-date/,
    ],
  ];
  it.each(refusals)('refuses: %s', async (_case, build, reason) => {
    const req = await build();
    expect(reasonOf(() => verifySigV4(req, OPTS))).toMatch(reason);
  });

  it('refuses malformed X-Amz-Date values', async () => {
    const req = await sign(BASE);
    for (const value of [
      '20240501T120000',
      '2024-05-01T12:00:00Z',
      '20241301T120000Z', // month 13
      '20240501T250000Z', // hour 25
      '20240230T120000Z', // 30 February
      '20240501T120060Z', // second 60
      '20240501T126000Z', // minute 60
      '00990501T120000Z', // year 99, which Date.UTC would read as 1999
      '',
    ]) {
      expect(reasonOf(() => verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-date': value } }, OPTS))).toBe(
        'malformed x-amz-date',
      );
    }
  });

  it('accepts the last second of a leap day, and the next day under a newly derived signing key', async () => {
    for (const at of [new Date('2024-02-29T23:59:59Z'), new Date('2024-03-01T00:00:01Z')]) {
      const req = await sign(BASE, { date: at });
      expect(verifySigV4(req, { ...OPTS, now: () => at }).principal).toBe(KEY.principal);
    }
  });

  it('refuses the old secret once the credential is replaced, though its signing key was cached', async () => {
    const req = await sign(BASE);
    let current = KEY;
    const opts: SigV4VerifierOptions = { ...OPTS, lookup: (id) => (id === current.accessKeyId ? current : undefined) };
    expect(verifySigV4(req, opts).principal).toBe(KEY.principal);
    current = { ...KEY, secretAccessKey: 'a-rotated-secret-of-enough-length' };
    expect(reasonOf(() => verifySigV4(req, opts))).toBe('signature mismatch');
    expect(verifySigV4(await sign(BASE, { secret: current.secretAccessKey }), opts).principal).toBe(KEY.principal);
  });

  it('with a configured host, accepts a request signed for it, in any letter case', async () => {
    const req = await sign({ ...BASE, headers: { ...BASE.headers, host: 'Vault.Internal:8443' } });
    expect(verifySigV4(req, { ...OPTS, host: 'vault.internal:8443' }).principal).toBe(KEY.principal);
  });

  it('with a configured host, refuses a valid signature over another host', async () => {
    const req = await sign(BASE);
    expect(verifySigV4(req, OPTS).principal).toBe(KEY.principal);
    for (const host of ['vault.internal', 'vault.internal:443', 'other.internal:8443']) {
      expect(reasonOf(() => verifySigV4(req, { ...OPTS, host }))).toMatch(/another host/);
    }
  });
});

describe('verifySigV4 refusals that need a hand-made signature', () => {
  it('refuses when host is not signed', () => {
    const req = curlSign(BASE, { signedHeaders: ['content-type', 'x-amz-date'] });
    expect(reasonOf(() => verifySigV4(req, OPTS))).toMatch(/host and x-amz-date/);
  });

  it('refuses when x-amz-date is not signed', () => {
    const req = curlSign(BASE, { signedHeaders: ['content-type', 'host'] });
    expect(reasonOf(() => verifySigV4(req, OPTS))).toMatch(/host and x-amz-date/);
  });

  it('refuses a signed header the request does not carry', () => {
    const req = curlSign(
      { ...BASE, headers: { ...BASE.headers, 'x-extra': '1' } },
      { signedHeaders: ['content-type', 'host', 'x-amz-date', 'x-extra'] },
    );
    const { 'x-extra': _, ...headers } = req.headers;
    expect(reasonOf(() => verifySigV4({ ...req, headers }, OPTS))).toMatch(/absent/);
  });

  it('refuses a credential scope date other than the X-Amz-Date day', () => {
    const opts = { ...OPTS, now: () => new Date('2024-05-01T00:01:00Z') };
    const req = curlSign(BASE, { date: new Date('2024-05-01T00:01:00Z'), scopeDate: '20240430' });
    expect(reasonOf(() => verifySigV4(req, opts))).toMatch(/scope date/);
  });

  it('accepts a query signed exactly as sent, unsorted (curl 7.x)', () => {
    const req = curlSign({ ...BASE, query: 'z=1&a=2&prefix=x/y' }, { rawQuery: true });
    expect(verifySigV4(req, OPTS).principal).toBe(KEY.principal);
    expect(reasonOf(() => verifySigV4({ ...req, query: 'a=2&z=1&prefix=x/y' }, OPTS))).toMatch(/signature/);
  });

  it('refuses a signature over the decoded path', () => {
    const req = curlSign({ ...BASE, path: '/v1/secrets/a%2Fb' }, { canonicalPath: '/v1/secrets/a/b' });
    expect(reasonOf(() => verifySigV4(req, OPTS))).toMatch(/signature/);
  });

  it('refuses x-amz-content-sha256 that is signed but does not match the body', async () => {
    for (const claimed of [sha256('{"value":"other"}'), 'UNSIGNED-PAYLOAD']) {
      const req = await smithySign({ ...BASE, headers: { ...BASE.headers, 'x-amz-content-sha256': claimed } });
      expect(req.headers.authorization).toContain('x-amz-content-sha256');
      expect(reasonOf(() => verifySigV4(req, OPTS))).toMatch(/x-amz-content-sha256/);
    }
  });

  it('ignores an unsigned x-amz-content-sha256: the body is hashed regardless', () => {
    const req = curlSign(BASE);
    const withClaim = { ...req, headers: { ...req.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } };
    expect(verifySigV4(withClaim, OPTS).principal).toBe(KEY.principal);
    expect(reasonOf(() => verifySigV4({ ...withClaim, body: Buffer.from('tampered') }, OPTS))).toMatch(/signature/);
  });

  it('refuses malformed Authorization headers', async () => {
    const good = String((await smithySign(BASE)).headers.authorization);
    const sig = /Signature=([0-9a-f]+)/.exec(good)![1]!;
    const cred = /Credential=(\S+),/.exec(good)![1]!;
    const shapes = [
      '',
      'Bearer abc',
      'AWS4-HMAC-SHA256',
      good.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1'),
      good.replace('AWS4-HMAC-SHA256', 'aws4-hmac-sha256'),
      good.replace(/, Signature=.*$/, ''),
      good.replace(/Credential=\S+, /, ''),
      `${good}, Signature=${sig}`,
      `${good}, Foo=bar`,
      good.replace(sig, sig.slice(0, 63)),
      good.replace(sig, sig.toUpperCase()),
      good.replace(sig, `${sig.slice(0, 63)}g`),
      good.replace(cred, cred.replace('/aws4_request', '')),
      good.replace(cred, cred.replace('aws4_request', 'aws4_requests')),
      good.replace(cred, cred.replace(/\/\d{8}\//, '/2024-05-01/')),
      good.replace(cred, `/${cred}`),
      good.replace('SignedHeaders=', 'SignedHeaders=Host;'),
      good.replace(/SignedHeaders=([^,]+)/, 'SignedHeaders=$1;host'),
      good.replace(/SignedHeaders=([^,]+)/, 'SignedHeaders='),
    ];
    const req = await smithySign(BASE);
    for (const authorization of shapes) {
      const reason = reasonOf(() => verifySigV4({ ...req, headers: { ...req.headers, authorization } }, OPTS));
      expect([authorization, reason]).toEqual([
        authorization,
        expect.stringMatching(/authorization|credential|signed headers|signature/),
      ]);
      expect(reason).not.toBe('signature mismatch');
    }
  });

  it('does not say why in the error message', async () => {
    const req = await smithySign(BASE, { secret: 'wrong-secret-value-123' });
    expect(() => verifySigV4(req, OPTS)).toThrow('the request could not be authenticated');
  });

  it('honours the service and maxSkewMs options', async () => {
    const req = await smithySign(BASE, { service: 'vault', date: new Date(NOW.getTime() - 10 * MINUTE) });
    expect(verifySigV4(req, { ...OPTS, service: 'vault', maxSkewMs: 11 * MINUTE }).principal).toBe(KEY.principal);
    expect(reasonOf(() => verifySigV4(req, { ...OPTS, service: 'vault' }))).toMatch(/skew/);
  });

  it('canonicalises header values: trimmed, runs of spaces collapsed, repeated values comma-joined', async () => {
    const req = await smithySign({ ...BASE, headers: { ...BASE.headers, 'x-note': '  a   b  ' } });
    expect(verifySigV4({ ...req, headers: { ...req.headers, 'x-note': 'a b' } }, OPTS).principal).toBe(KEY.principal);
    const multi = curlSign(
      { ...BASE, headers: { ...BASE.headers, 'x-multi': 'one,two' } },
      { signedHeaders: ['host', 'x-amz-date', 'x-multi'] },
    );
    expect(verifySigV4({ ...multi, headers: { ...multi.headers, 'x-multi': ['one', 'two'] } }, OPTS).principal).toBe(
      KEY.principal,
    );
  });
});
