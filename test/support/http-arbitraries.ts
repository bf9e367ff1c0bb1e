import fc from 'fast-check';
import type { RawRequest } from './raw-http';

/**
 * fast-check arbitraries for raw HTTP requests to the vault. Most requests are close to valid
 * (a real route, a known path, a body the route accepts) with one part bent, so they get past
 * the first check and reach the vault and the store; the rest are anything at all.
 */
export interface FuzzWorld {
  /** Secrets that exist, so reads, lifecycle calls and writes with `cas` get past 404. */
  knownPaths: string[];
  /** Cursors the vault issued, to replay, bit-flip and forge. */
  cursors: () => string[];
  /** The principal the policy allows everything, and one it allows nothing. */
  admin: string;
  stranger: string;
}

type Header = [string, string];
const KIB = 1024;

const weighted = <T>(...entries: Array<[number, fc.Arbitrary<T>]>) =>
  fc.oneof(...entries.map(([weight, arbitrary]) => ({ weight, arbitrary })));

// ---- paths ---------------------------------------------------------------------------------

const validSegment = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,12}$/);
const oddSegment = weighted<string>(
  [
    6,
    fc.constantFrom(
      ...['', '.', '..', '%2e%2e', '%2E', '%2F', '%2f', '%5C', '%00', '%0a', '%41', '%C3%A9', '%u0041'],
      // malformed percent sequences: the router used to throw on these (500)
      ...['%ff', '%', '%%', '%zz', '%c0%ae', '%E9', 'a%', 'a%2'],
      ...['é', '中文', '😀', '\\', '?', '#', ';', '+', '*', '\t', '\u0000', '\u0001', '\u007f'],
      ...['a'.repeat(128), 'a'.repeat(129), 'a'.repeat(700)],
    ),
  ],
  // Unicode percent-encoded as UTF-8 reaches the app; sent raw, Node's parser refuses it.
  [2, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }).map(encodeURIComponent)],
  [1, fc.string({ unit: 'grapheme', maxLength: 4 })],
  [1, fc.string({ unit: 'binary', maxLength: 4 })],
  [1, fc.integer({ min: 0, max: 31 }).map((code) => String.fromCharCode(code))],
);

function secretPath(world: FuzzWorld): fc.Arbitrary<string> {
  return weighted(
    [8, fc.constantFrom(...world.knownPaths)],
    [3, fc.array(validSegment, { minLength: 1, maxLength: 8 }).map((parts) => parts.join('/'))],
    [4, fc.array(weighted([2, validSegment], [1, oddSegment]), { maxLength: 10 }).map((parts) => parts.join('/'))],
  );
}

// ---- cursors and queries -------------------------------------------------------------------

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function cursor(world: FuzzWorld): fc.Arbitrary<string> {
  const issued = fc.nat().map((i) => world.cursors()[i % world.cursors().length]!);
  /** An issued cursor with one bit flipped, in its decoded bytes or in its text. */
  const flipped = fc.tuple(issued, fc.nat(), fc.nat({ max: 7 }), fc.boolean()).map(([text, at, bit, inText]) => {
    if (inText) {
      const i = at % text.length;
      return text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ (1 << bit)) + text.slice(i + 1);
    }
    const bytes = Buffer.from(text, 'base64url');
    bytes[at % bytes.length]! ^= 1 << bit;
    return bytes.toString('base64url');
  });
  /** Today's cursor format with chosen fields: another index, an empty key, a key outside the prefix. */
  const forged = fc
    .record({
      q: fc.constantFrom('path:', 'due:', 'path:fz/', 'due:fz/', 'x'),
      pk: fc.oneof(fc.constantFrom('', 'fz/a', 'zz/z', 'a', '\ud800'), fc.string()),
      sk: fc.constantFrom('HEAD', 'V#0000000001', ''),
      lst: fc.constantFrom('HEAD', '', 'X'),
      due: fc.option(fc.constantFrom('2000-01-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z', '', 'x'), {
        nil: undefined,
      }),
      extra: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
    })
    .map(({ q, pk, sk, lst, due, extra }) =>
      b64({
        q,
        k: { pk: { S: pk }, sk: { S: sk }, lst: { S: lst }, ...(due !== undefined && { due: { S: due } }) },
        ...(extra !== undefined && { extra }),
      }),
    );
  return weighted(
    [2, issued],
    [4, flipped],
    [4, forged],
    [1, fc.json({ maxDepth: 3 }).map((text) => Buffer.from(text).toString('base64url'))],
    [1, fc.string({ maxLength: 40 })],
    [1, fc.constantFrom('', '%', '%ff', '====', 'a'.repeat(2048), 'a'.repeat(2049))],
  );
}

const numberText = fc.oneof(
  fc.constantFrom('0', '1', '2', '01', '-1', '1.5', '1e3', '0x10', 'NaN', 'Infinity', '', ' 1', '1,2', '1,,2', ','),
  fc.constantFrom('9999999999', '10000000000', '99999999999999999999999', '1'.repeat(400)),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.array(fc.integer({ min: -1, max: 12 }), { maxLength: 120 }).map((n) => n.join(',')),
);

const param = (name: string, value: fc.Arbitrary<string>) => value.map((v) => `${name}=${encodeURIComponent(v)}`);
const optionalParams = (...params: fc.Arbitrary<string>[]) =>
  fc.tuple(...params.map((p) => fc.option(p, { nil: '' }))).map((parts) => parts.filter(Boolean).join('&'));

/** Queries each route accepts, with values inside and just outside their ranges. */
function routeQuery(world: FuzzWorld, method: string, prefix: string): fc.Arbitrary<string> {
  const version = fc.oneof(fc.integer({ min: 1, max: 4 }).map(String), numberText);
  const cas = fc.oneof(fc.integer({ min: 0, max: 4 }).map(String), numberText);
  if (prefix === '/v1/metadata') {
    return optionalParams(
      param('prefix', fc.constantFrom('fz/', 'fz', 'fz/c/', 'zz', '', '../x', 'a'.repeat(513))),
      param('limit', fc.oneof(fc.integer({ min: 1, max: 100 }).map(String), numberText)),
      param('rotationDue', fc.constantFrom('true', 'false', 'yes', '1', 'TRUE', '')),
      param('cursor', cursor(world)),
    );
  }
  if (prefix === '/v1/secrets/' && method === 'GET') return optionalParams(param('version', version));
  if (prefix === '/v1/secrets/' && method === 'DELETE') {
    const versions = fc.oneof(
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }).map((v) => v.join(',')),
      numberText,
    );
    return optionalParams(param('versions', versions), param('cas', cas));
  }
  if (prefix === '/v1/metadata/' && method === 'DELETE') return optionalParams(param('cas', cas));
  return fc.constant('');
}

/** Any parameters at all: unknown, repeated, empty names, raw `%`, `+` and `&`. */
function anyQuery(world: FuzzWorld): fc.Arbitrary<string> {
  const key = fc.constantFrom(
    'version',
    'versions',
    'cas',
    'prefix',
    'limit',
    'cursor',
    'rotationDue',
    'x',
    '',
    '__proto__',
  );
  const value = fc.oneof(
    numberText,
    cursor(world),
    fc.constantFrom('true', 'false', 'fz/', '../x', '%2e%2e', '%', '%ff', 'a'.repeat(600)),
    fc.string({ maxLength: 12 }),
  );
  return fc
    .array(fc.tuple(key, value, fc.boolean()), { maxLength: 4 })
    .map((pairs) =>
      pairs.map(([k, v, raw]) => `${k}=${raw ? v : encodeURIComponent(v).replace(/%20/g, '+')}`).join('&'),
    );
}

// ---- bodies --------------------------------------------------------------------------------

/** `depth` levels of nesting as text: objects, arrays, or an object holding arrays. */
const nestedText = (depth: number, kind: 'object' | 'array' | 'mixed', leaf: string) => {
  if (kind === 'object') return `${'{"k":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
  if (kind === 'array') return `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
  return `{"k":${'['.repeat(depth - 1)}${leaf}${']'.repeat(depth - 1)}}`;
};
const deep = fc
  .record({
    depth: weighted(
      [3, fc.constantFrom(63, 64, 65, 66, 100, 1000, 1500, 2000, 2500, 3000, 10_000)],
      [2, fc.integer({ min: 1, max: 4000 })],
      // where zod's recursion used to overflow (1,500 to 2,500 levels)
      [2, fc.integer({ min: 1000, max: 3000 })],
    ),
    kind: fc.constantFrom('object' as const, 'mixed' as const, 'array' as const),
    leaf: fc.constantFrom('1', '"x"', '"[[[{{{"', '"\\"]]]"', 'null', '{}'),
  })
  .map(({ depth, kind, leaf }) => nestedText(depth, kind, leaf));
const wide = fc
  .record({ keys: fc.integer({ min: 1, max: 6000 }), asArray: fc.boolean() })
  .map(({ keys, asArray }) =>
    asArray
      ? `[${Array.from({ length: keys }, (_, i) => i).join(',')}]`
      : `{${Array.from({ length: keys }, (_, i) => `"k${i}":${i}`).join(',')}}`,
  );
const protoKey = fc.constantFrom('__proto__', 'constructor', 'prototype', '\\u005f_proto__', 'construct\\u006fr');
/** An object with a prototype key `depth` levels down. */
const prototypeKeyed = fc
  .record({ key: protoKey, depth: fc.integer({ min: 0, max: 6 }) })
  .map(({ key, depth }) => `${'{"a":'.repeat(depth)}{"${key}":{"polluted":true}}${'}'.repeat(depth)}`);
const wrongType = fc.oneof(
  fc.constantFrom('null', 'true', '0', '-1', '1.5', '1e308', '1e400', '-0', '""', '"1"', '[]', '{}', '[1,"x"]'),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
);
/** A string value whose JSON is `delta` bytes either side of the 16 KiB value limit. */
const valueNearLimit = fc
  .record({ delta: fc.integer({ min: -3, max: 3 }), asObject: fc.boolean() })
  .map(({ delta, asObject }) =>
    asObject ? `{"k":"${'x'.repeat(16 * KIB - 8 + delta)}"}` : `"${'x'.repeat(16 * KIB - 2 + delta)}"`,
  );

const valueText = weighted<string>(
  [
    5,
    fc
      .oneof(fc.string(), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 4 })))
      .map((v) => JSON.stringify(v)),
  ],
  [6, deep],
  [1, wide],
  [2, valueNearLimit],
  [2, prototypeKeyed],
  [2, wrongType],
);
const labelsText = weighted<string>(
  [
    4,
    fc
      .dictionary(fc.stringMatching(/^[a-z][a-z0-9._:/-]{0,8}$/), fc.string({ maxLength: 12 }), { maxKeys: 3 })
      .map((v) => JSON.stringify(v)),
  ],
  [
    1,
    fc
      .dictionary(fc.string({ maxLength: 130 }), fc.string({ maxLength: 260 }), { minKeys: 30, maxKeys: 34 })
      .map((v) => JSON.stringify(v)),
  ],
  [1, prototypeKeyed],
  [1, deep],
  [1, wrongType],
);
const smallInt = (max: number) => fc.integer({ min: -1, max }).map(String);
const versionsText = weighted<string>(
  [4, fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }).map((v) => JSON.stringify(v))],
  [1, fc.array(fc.integer({ min: -1, max: 10_000_000_000 }), { maxLength: 120 }).map((v) => JSON.stringify(v))],
  [1, deep],
  [1, wrongType],
);
const objectText = (fields: Array<[string, fc.Arbitrary<string>]>, required: string[]) =>
  fc
    .tuple(
      ...fields.map(([name, value]) =>
        required.includes(name)
          ? value.map((v) => `"${name}":${v}`)
          : fc.option(
              value.map((v) => `"${name}":${v}`),
              { nil: '' },
            ),
      ),
      fc.option(fc.constantFrom('"extra":1', '"__proto__":{}', '"value":"twice"'), { nil: '' }),
    )
    .map((parts) => `{${parts.filter(Boolean).join(',')}}`);

/** Bodies each route accepts, with each field sometimes of the wrong type, too deep or too large. */
function routeBody(method: string, prefix: string): fc.Arbitrary<string | undefined> {
  if (method === 'PUT' && prefix === '/v1/secrets/') {
    return objectText(
      [
        ['value', valueText],
        ['labels', labelsText],
        ['cas', weighted([3, smallInt(4)], [1, wrongType])],
        ['rotationDays', weighted([3, fc.integer({ min: 0, max: 3651 }).map(String)], [1, wrongType])],
      ],
      ['value'],
    );
  }
  if (method === 'POST' && prefix === '/v1/rewrap/') return weighted([4, fc.constant('{}')], [1, deep]);
  if (method === 'POST') {
    return objectText(
      [
        ['versions', versionsText],
        ['cas', weighted([3, smallInt(4)], [1, wrongType])],
      ],
      ['versions'],
    );
  }
  return fc.constant(undefined);
}

/** Valid JSON text with bytes that are not UTF-8 spliced into a string. */
const invalidUtf8 = fc
  .tuple(
    fc.constantFrom([0xff], [0xc0, 0xae], [0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xfe]),
    fc.boolean(),
  )
  .map(([bytes, inValue]) =>
    Buffer.concat([
      Buffer.from(inValue ? '{"value":"a' : '{"value":"x","labels":{"a'),
      Buffer.from(bytes),
      Buffer.from(inValue ? 'b"}' : '":"b"}}'),
    ]),
  );
/** A body the vault limits: 64 KiB of JSON, a few bytes either side. */
const bodyNearLimit = fc
  .integer({ min: -3, max: 3 })
  .map((delta) => `{"value":"x","labels":{"k":"${'x'.repeat(64 * KIB - 31 + delta)}"}}`);
const anyBody = weighted<string | Buffer | undefined>(
  [2, fc.constant(undefined)],
  [2, deep],
  [1, wide],
  [1, bodyNearLimit],
  [1, prototypeKeyed],
  [2, invalidUtf8],
  [2, fc.constantFrom('', 'null', 'true', '1', '"x"', '[]', '{}', '{', '{"value":', '\ufeff{}', '{"value":"x"}x')],
  [1, fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes))],
);

// ---- headers -------------------------------------------------------------------------------

const optionalHeader = (name: string, values: fc.Arbitrary<string>, weightAbsent: number) =>
  weighted<Header[]>([weightAbsent, fc.constant([])], [1, values.map((v) => [[name, v]])]);

function headers(world: FuzzWorld): fc.Arbitrary<Header[]> {
  return fc
    .tuple(
      weighted<Header[]>(
        [6, fc.constant([['x-test-principal', world.admin]])],
        [
          2,
          optionalHeader(
            'x-test-principal',
            fc.constantFrom(world.stranger, '', 'not-an-arn', 'arn:aws:iam::123456789012:root'),
            1,
          ),
        ],
      ),
      weighted<Header[]>(
        [10, fc.constant([['content-type', 'application/json']])],
        [
          3,
          optionalHeader(
            'content-type',
            fc.constantFrom(
              ...[
                'application/json; charset=utf-8',
                'application/json; charset=latin1',
                'application/json; charset=utf-16',
              ],
              ...[
                'application/json; charset=nope',
                'APPLICATION/JSON',
                'application/json;;;',
                'application/merge-patch+json',
              ],
              ...[
                'application/*',
                '*/*',
                'text/plain',
                'application/x-www-form-urlencoded',
                'multipart/form-data; boundary=x',
                '',
              ],
            ),
            1,
          ),
        ],
      ),
      optionalHeader(
        'content-encoding',
        fc.constantFrom(
          'identity',
          'IDENTITY',
          'gzip',
          'x-gzip',
          'deflate',
          'br',
          'zstd',
          'compress',
          'gzip, identity',
          '',
          'x',
        ),
        8,
      ),
      // If-None-Match: * makes every read "fresh" to express, which used to answer 304 with no body.
      optionalHeader('if-none-match', fc.constantFrom('*', '*', '*', '"x"', 'W/"x"', ''), 3),
      optionalHeader('if-modified-since', fc.constantFrom('Thu, 01 Jan 2099 00:00:00 GMT', 'garbage'), 8),
      optionalHeader('range', fc.constantFrom('bytes=0-1', 'bytes=-5', 'x'), 10),
      optionalHeader('accept', fc.constantFrom('text/html', 'application/xml', '*/*;q=0', ''), 10),
      optionalHeader('expect', fc.constantFrom('100-continue', 'garbage'), 15),
    )
    .map((groups) => groups.flat());
}

// ---- requests ------------------------------------------------------------------------------

/** Routes by weight: writes and reads most, since they parse the most. */
const ROUTES: Array<[number, string, string]> = [
  [5, 'PUT', '/v1/secrets/'],
  [2, 'GET', '/v1/secrets/'],
  [1, 'DELETE', '/v1/secrets/'],
  [1, 'GET', '/v1/metadata/'],
  [2, 'GET', '/v1/metadata'],
  [1, 'DELETE', '/v1/metadata/'],
  [1, 'POST', '/v1/undelete/'],
  [1, 'POST', '/v1/destroy/'],
  [1, 'POST', '/v1/rewrap/'],
];
const anyMethod = fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'FOO', 'get');
const anyPrefix = fc.constantFrom(
  ...new Set(ROUTES.map(([, , prefix]) => prefix)),
  ...['/v1/metadata?', '/healthz', '/', '', '/v1/', '/V1/secrets/', '//v1/secrets/', '/v1/secrets', '*'],
  ...['http://vault.test/v1/secrets/', '/v1/secrets/./', '/v1/secrets/../metadata/'],
);
const framing = weighted<'length' | 'chunked' | 'declared-1GB'>(
  [12, fc.constant('length')],
  [1, fc.constant('chunked')],
  [1, fc.constant('declared-1GB')],
);

export function fuzzRequests(world: FuzzWorld): fc.Arbitrary<RawRequest> {
  const route = weighted<[string, string]>(
    ...ROUTES.map(([weight, method, prefix]): [number, fc.Arbitrary<[string, string]>] => [
      weight * 4,
      fc.constant([method, prefix]),
    ]),
    [3, fc.tuple(anyMethod, anyPrefix)],
  );
  return route.chain(([method, prefix]) =>
    fc
      .record({
        path: prefix === '/v1/metadata' ? fc.constant('') : secretPath(world),
        query: weighted([6, routeQuery(world, method, prefix)], [1, anyQuery(world)]),
        headers: headers(world),
        body: weighted<string | Buffer | undefined>([5, routeBody(method, prefix)], [1, anyBody]),
        framing,
      })
      .map(({ path, query, headers: h, body, framing: f }) => ({
        method,
        target: `${prefix}${path}${query === '' ? '' : `?${query}`}`,
        headers: h,
        ...(body !== undefined && { body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body }),
        ...(f === 'chunked' && { chunked: true }),
        ...(f === 'declared-1GB' && { contentLength: 2 ** 30, body: Buffer.alloc(0) }),
      })),
  );
}

/** What a failure report shows of a request: all of it but a long body. */
export function describeRequest(req: RawRequest): string {
  const text = req.body?.toString('latin1') ?? '';
  const body = text.length > 300 ? `${text.slice(0, 300)}... (${text.length} bytes)` : text;
  // Escaped, so that invisible characters (a soft hyphen, a NEL) show in the report.
  return JSON.stringify({ ...req, body }).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
