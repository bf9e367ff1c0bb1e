import type { AddressInfo } from 'node:net';
import { createLambdaFront, type LambdaFront } from '../../src/adapters/http/lambda-front';
import { listen } from '../../src/adapters/http/listen';
import type { RequestOutcome } from '../../src/adapters/http/request-outcome';
import { ROUTES } from '../../src/adapters/http/routes';
import { LocalKeyProvider } from '../../src/adapters/local-keys/local-key-provider';
import { DependencyError } from '../../src/core/errors';
import { ACTIONS, parsePolicy } from '../../src/core/policy';
import { testApp } from '../support/app';
import { CountingKeyProvider } from '../support/counting-key-provider';
import { dynamo, stopDynamo } from '../support/dynamo';
import { ADMIN, FakeClock } from '../support/fakes';
import {
  type GatewayRequest,
  type GatewayResult,
  httpApiEvent,
  restApiEvent,
  resultHeaders,
} from '../support/lambda-events';
import { send } from '../support/raw-http';

/**
 * The same requests through the express app of server mode (over a socket, as raw HTTP, so a
 * malformed path reaches it exactly as sent: supertest would normalise it through WHATWG URL)
 * and through the Lambda front, as REST API (payload 1.0) and HTTP API / function URL
 * (payload 2.0) events. Each front has its own vault over its own tables, built the same way
 * (the same key, clock and policy), so the three see the same state at every step and must
 * answer alike: status, JSON body (request ids, trail chain ids and sealed cursors aside),
 * the headers callers rely on, the request log line, the metrics outcome and logged failures.
 *
 * The paths are sent percent-encoded, as REST APIs and function URLs pass them on. (HTTP APIs
 * pass a decoded rawPath: the front escapes '?' and '#' in it, as serverless-express did.)
 */

afterAll(stopDynamo);
beforeAll(() => dynamo());

const READER = 'arn:aws:iam::111122223333:role/reader';
const READER_SESSION = 'arn:aws:sts::111122223333:assumed-role/reader/order-router-7';
const STRANGER = 'arn:aws:iam::111122223333:role/stranger';
const ROOT = 'arn:aws:iam::111122223333:root';
const POLICY = parsePolicy({
  rules: [
    {
      principals: [ADMIN],
      actions: [...ACTIONS],
      paths: ['*'],
    },
    { principals: [READER], actions: ['read', 'describe'], paths: ['team/*'] },
  ],
});
const KEY = Buffer.alloc(32, 7);
const START = '2026-03-01T12:00:00.000Z';

type FrontKind = 'express' | 'rest' | 'http-api';
const FRONTS: readonly FrontKind[] = ['express', 'rest', 'http-api'];

interface Front {
  kind: FrontKind;
  keys: CountingKeyProvider;
  clock: FakeClock;
  /** The request ids of the events sent (Lambda fronts). */
  gatewayIds: Set<string>;
  logger: { records: Array<Record<string, unknown>> };
  outcomes: RequestOutcome[];
  /** Sends one request; `gatewayId` is the event's request id (Lambda fronts). */
  send(request: Sent): Promise<Seen & { gatewayId?: string }>;
  close(): Promise<void>;
}

/** A request as a client sends it. */
interface Sent {
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: Buffer;
  base64?: boolean;
  /** The caller; null: unsigned. */
  as: string | null;
}

/** What a front answered, in one shape. */
interface Seen {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body: parsed when JSON, else as text. */
  body: unknown;
}

async function front(kind: FrontKind): Promise<Front> {
  const keys = new CountingKeyProvider(new LocalKeyProvider(KEY));
  const clock = new FakeClock(new Date(START));
  const gatewayIds = new Set<string>();
  const outcomes: RequestOutcome[] = [];
  const t = await testApp({
    keys,
    policy: POLICY,
    clock,
    trail: {},
    observe: (outcome) => outcomes.push(outcome),
  });
  if (kind === 'express') {
    const { server } = await listen(t.app, 0, '127.0.0.1');
    const { port } = server.address() as AddressInfo;
    return {
      kind,
      keys,
      clock,
      gatewayIds,
      logger: t.logger,
      outcomes,
      send: async (request) => {
        const target = request.query === undefined ? request.path : `${request.path}?${request.query}`;
        const headers = Object.entries({
          ...request.headers,
          ...(request.as !== null && { 'x-test-principal': request.as }),
        });
        const res = await send(port, {
          method: request.method,
          target,
          headers,
          ...(request.body && { body: request.body }),
        });
        const text = res.body.toString('utf8');
        return { status: res.status, headers: res.headers, text, body: parsedBody(res.headers, text) };
      },
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }
  const lambda: LambdaFront = createLambdaFront({
    vault: t.vault,
    logger: t.logger,
    policy: POLICY,
    observe: (outcome) => outcomes.push(outcome),
  });
  return {
    kind,
    keys,
    clock,
    gatewayIds,
    logger: t.logger,
    outcomes,
    send: async (request) => {
      const gatewayRequest: GatewayRequest = {
        method: request.method,
        path: request.path,
        ...(request.query !== undefined && { query: request.query }),
        // What went on the wire beside the caller's headers: a length for a body, and for
        // every PUT and POST (raw-http sends Content-Length: 0 then, as clients do).
        headers: {
          ...request.headers,
          ...((request.body || ['PUT', 'POST'].includes(request.method)) && {
            'Content-Length': String(request.body?.length ?? 0),
          }),
        },
        ...(request.body && { body: request.body }),
        ...(request.base64 && { base64: true }),
        ...(request.as !== null && { caller: request.as }),
      };
      const event = kind === 'rest' ? restApiEvent(gatewayRequest) : httpApiEvent(gatewayRequest);
      const result = (await lambda(event)) as GatewayResult;
      expect(result.isBase64Encoded).toBe(false);
      if (kind === 'rest') expect(result.multiValueHeaders).toBeDefined();
      else expect(result.headers).toBeDefined();
      const headers = resultHeaders(result);
      gatewayIds.add(event.requestContext.requestId);
      return {
        status: result.statusCode,
        headers,
        text: result.body,
        body: parsedBody(headers, result.body),
        gatewayId: event.requestContext.requestId,
      };
    },
    close: async () => {},
  };
}

function parsedBody(headers: Record<string, string>, text: string): unknown {
  return text !== '' && headers['content-type']?.startsWith('application/json') ? JSON.parse(text) : text;
}

/** Values that differ by design between two vaults serving the same requests. */
const PER_PROCESS = new Set(['requestId', 'chain', 'cursor']);

/**
 * The body with per-process values replaced, and without the API Gateway request ids that only
 * Lambda's trail records carry (each must be the id of an event this front was sent).
 */
function normalised(value: unknown, f: Front): unknown {
  if (Array.isArray(value)) return value.map((inner) => normalised(inner, f));
  if (value && typeof value === 'object') {
    let entries = Object.entries(value);
    if (typeof (value as { seq?: unknown }).seq === 'number') {
      // A trail record: on Lambda, with the request id of an event this front was sent.
      const gatewayId = (value as { gatewayRequestId?: string }).gatewayRequestId;
      if (f.kind === 'express') expect(gatewayId).toBeUndefined();
      else expect(f.gatewayIds.has(gatewayId!)).toBe(true);
      entries = entries.filter(([key]) => key !== 'gatewayRequestId');
    }
    return Object.fromEntries(
      entries.map(([key, inner]) => [key, PER_PROCESS.has(key) ? `<${key}>` : normalised(inner, f)]),
    );
  }
  return value;
}

/** The headers compared: what callers and caches rely on. */
const COMPARED_HEADERS = ['cache-control', 'content-type', 'content-length', 'retry-after'];

interface Observation {
  status: number;
  headers: Record<string, string | undefined>;
  body: unknown;
  log: Record<string, unknown> | undefined;
  outcome: Omit<RequestOutcome, 'latencyMs'> | undefined;
  failures: unknown[];
}

async function observe(f: Front, request: Sent): Promise<Observation> {
  const logsBefore = f.logger.records.length;
  const outcomesBefore = f.outcomes.length;
  const seen = await f.send(request);
  // Express writes its line when the response has finished, which may be after the client has it.
  for (let waited = 0; f.outcomes.length === outcomesBefore && waited < 2000; waited += 5)
    await new Promise((resolve) => setTimeout(resolve, 5));
  const records = f.logger.records.slice(logsBefore);
  const requestLine = records.find((record) => record.type === 'request');
  const requestId = seen.headers['x-request-id'];
  // Every response carries its request id; an error body names the same one, as does the log line.
  expect(requestId).toMatch(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);
  if (seen.gatewayId) expect(requestId).toBe(seen.gatewayId);
  expect(requestLine?.requestId).toBe(requestId);
  const error = (seen.body as { error?: { requestId?: unknown } } | undefined)?.error;
  if (error) expect(error.requestId).toBe(requestId);
  const { requestId: _id, latencyMs, detail, ...line } = requestLine ?? {};
  expect(typeof latencyMs).toBe('number');
  const outcome = f.outcomes[outcomesBefore];
  // The length is the body's own (compared across fronts where there is none: HEAD, 204).
  if (seen.text !== '') expect(Number(seen.headers['content-length'])).toBe(Buffer.byteLength(seen.text));
  return {
    status: seen.status,
    headers: {
      ...Object.fromEntries(COMPARED_HEADERS.map((name) => [name, seen.headers[name]])),
      ...(seen.text !== '' && { 'content-length': '<its length>' }),
    },
    body: normalised(seen.body, f),
    // Which identity check failed is the identity source's own wording (a test header here,
    // the request context there); the rest of the line is the same.
    log: { ...line, ...(detail !== undefined && seen.status !== 401 && { detail }) },
    outcome: outcome && { method: outcome.method, route: outcome.route, status: outcome.status },
    failures: records
      .filter((record) => record.type === 'error')
      .map(({ name, code, dependency, detail: why }) => ({ name, code, dependency, detail: why })),
  };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { a: nested(depth - 1) });

interface Case {
  name: string;
  /** Sanity: what all three must answer. */
  status: number;
  request: Omit<Sent, 'as'> & { as?: string | null };
  /** Runs on each front before the request (fault injection). */
  before?: (f: Front) => void;
  /** Sanity: what the (normalised) body holds. */
  check?: (body: unknown) => void;
}

const JSON_TYPE = { 'Content-Type': 'application/json' };
const put = (path: string, body: Buffer, headers: Record<string, string> = JSON_TYPE) => ({
  method: 'PUT',
  path,
  headers,
  body,
});
const post = (path: string, body: unknown) => ({ method: 'POST', path, headers: JSON_TYPE, body: json(body) });
const get = (path: string, query?: string, headers?: Record<string, string>) => ({
  method: 'GET',
  path,
  ...(query !== undefined && { query }),
  ...(headers && { headers }),
});
const SECRET = '/v1/secrets/team/a';

const CASES: Case[] = [
  // Public routes and route matching.
  { name: 'health', status: 200, request: { ...get('/healthz'), as: null } },
  { name: 'health, HEAD', status: 200, request: { method: 'HEAD', path: '/healthz', as: null } },
  { name: 'health with a query', status: 400, request: { ...get('/healthz', 'verbose=1'), as: null } },
  {
    name: 'health with a compressed body',
    status: 200,
    request: { ...get('/healthz', undefined, { 'Content-Encoding': 'gzip' }), as: null },
  },
  { name: 'the OpenAPI document', status: 200, request: { ...get('/openapi.json'), as: null } },
  { name: 'POST to a public route, unsigned', status: 401, request: { ...post('/healthz', {}), as: null } },
  { name: 'POST to a public route, signed', status: 404, request: post('/healthz', {}) },
  { name: 'DELETE to a public route', status: 404, request: { method: 'DELETE', path: '/openapi.json' } },
  { name: 'strict routing: trailing slash', status: 404, request: get('/healthz/') },
  { name: 'case-sensitive routing', status: 404, request: get('/HEALTHZ') },
  { name: 'case-sensitive routing, unsigned', status: 401, request: { ...get('/Healthz'), as: null } },
  { name: 'unknown route, unsigned', status: 401, request: { ...get('/v2/secrets/team/a'), as: null } },
  { name: 'unknown route', status: 404, request: get('/v2/secrets/team/a') },
  { name: 'a {path} route with no path', status: 404, request: get('/v1/secrets/') },
  { name: 'a {path} route without its slash', status: 404, request: get('/v1/secrets') },
  { name: 'upper-case prefix', status: 404, request: get('/V1/secrets/team/a') },
  { name: 'server-only route', status: 404, request: get('/metrics') },

  // Writes and the body checks.
  {
    name: 'create',
    status: 201,
    request: put(SECRET, json({ value: { apiKey: 'k-1', secret: 's-1' }, labels: { env: 'prod' } })),
  },
  { name: 'new version', status: 200, request: put(SECRET, json({ value: 'v2' })) },
  { name: 'cas mismatch', status: 409, request: put(SECRET, json({ value: 'x', cas: 1 })) },
  {
    name: 'JSON with a charset',
    status: 200,
    request: put(SECRET, json({ value: 'v3' }), { 'Content-Type': 'application/json; charset=utf-8' }),
  },
  {
    name: 'JSON in upper case',
    status: 200,
    request: put(SECRET, json({ value: 'v4' }), { 'Content-Type': 'APPLICATION/JSON' }),
  },
  {
    name: 'identity encoding',
    status: 200,
    request: put(SECRET, json({ value: 'v5' }), { ...JSON_TYPE, 'Content-Encoding': 'identity' }),
  },
  {
    name: 'a base64-flagged event body',
    status: 200,
    request: { ...put(SECRET, json({ value: 'v6' })), base64: true },
  },
  { name: 'text/plain', status: 415, request: put(SECRET, json({ value: 'x' }), { 'Content-Type': 'text/plain' }) },
  {
    name: 'a +json type',
    status: 415,
    request: put(SECRET, json({ value: 'x' }), { 'Content-Type': 'application/vnd.api+json' }),
  },
  {
    name: 'a list of types',
    status: 415,
    request: put(SECRET, json({ value: 'x' }), { 'Content-Type': 'application/json, text/plain' }),
  },
  { name: 'no content type', status: 415, request: put(SECRET, json({ value: 'x' }), {}) },
  {
    name: 'compressed',
    status: 415,
    request: put(SECRET, json({ value: 'x' }), { ...JSON_TYPE, 'Content-Encoding': 'gzip' }),
  },
  {
    name: 'compressed, unsigned',
    status: 415,
    request: { ...put(SECRET, json({ value: 'x' }), { ...JSON_TYPE, 'Content-Encoding': 'br' }), as: null },
  },
  { name: 'over 64 KiB', status: 413, request: put(SECRET, json({ value: 'x'.repeat(64 * 1024) })) },
  {
    name: 'over 64 KiB, unsigned',
    status: 413,
    request: { ...put(SECRET, Buffer.alloc(64 * 1024 + 1, 0x20)), as: null },
  },
  { name: 'nested too deep', status: 400, request: put(SECRET, json({ value: nested(70) })) },
  { name: 'not JSON', status: 400, request: put(SECRET, Buffer.from('{"value":')) },
  {
    name: 'a __proto__ key',
    status: 400,
    request: put(SECRET, Buffer.from('{"value":"x","__proto__":{"admin":true}}')),
  },
  { name: 'an unknown field', status: 400, request: put(SECRET, json({ value: 'x', owner: 'me' })) },
  { name: 'an empty PUT', status: 400, request: { method: 'PUT', path: SECRET, headers: JSON_TYPE } },
  { name: 'a value too large', status: 413, request: put(SECRET, json({ value: 'x'.repeat(20_000) })) },

  // Reads, queries and callers.
  { name: 'read', status: 200, request: get(SECRET) },
  { name: 'read, HEAD', status: 200, request: { method: 'HEAD', path: SECRET } },
  { name: 'read a version', status: 200, request: get(SECRET, 'version=1') },
  { name: 'a percent-encoded query', status: 200, request: get(SECRET, 'version=%32') },
  { name: 'a bad version', status: 400, request: get(SECRET, 'version=abc') },
  { name: 'an unknown query field', status: 400, request: get(SECRET, 'verbose=true') },
  { name: 'a repeated query field', status: 400, request: get(SECRET, 'version=1&version=2') },
  { name: 'an empty query', status: 200, request: get(SECRET, '') },
  { name: 'a session of the reader', status: 200, request: { ...get(SECRET), as: READER_SESSION } },
  {
    name: 'a purpose',
    status: 200,
    request: { ...get(SECRET, undefined, { 'X-Vault-Purpose': 'order 1842' }), as: READER },
  },
  { name: 'a purpose too long', status: 400, request: get(SECRET, undefined, { 'X-Vault-Purpose': 'p'.repeat(129) }) },
  {
    name: "the caller's request id",
    status: 200,
    request: get(SECRET, undefined, { 'X-Request-Id': 'order-router-7:trace.42' }),
  },
  {
    name: "a caller's request id not fit to log",
    status: 200,
    request: get(SECRET, undefined, { 'X-Request-Id': 'two words' }),
  },
  { name: 'unsigned', status: 401, request: { ...get(SECRET), as: null } },
  { name: 'the account root', status: 401, request: { ...get(SECRET), as: ROOT } },
  { name: 'not an IAM ARN', status: 401, request: { ...get(SECRET), as: 'arn:aws:iam::111122223333:group/ops' } },
  { name: 'a principal without rules', status: 403, request: { ...get(SECRET), as: STRANGER } },
  { name: 'the reader outside its paths', status: 403, request: { ...get('/v1/secrets/ops/b'), as: READER } },
  { name: 'the reader writing', status: 403, request: { ...put(SECRET, json({ value: 'x' })), as: READER } },
  { name: 'not found', status: 404, request: get('/v1/secrets/team/missing') },
  { name: 'a version that never was', status: 404, request: get(SECRET, 'version=99') },

  // Paths the vault refuses, and malformed percent-encoding.
  { name: 'a %ff path', status: 400, request: get('/v1/secrets/a%ff') },
  { name: 'a truncated escape', status: 400, request: get('/v1/secrets/a%') },
  { name: 'a lone %', status: 400, request: { ...put('/v1/secrets/%', json({ value: 'x' })) } },
  { name: 'an invalid escape', status: 400, request: { ...post('/v1/undelete/ok/a%zz/b', { versions: [1] }) } },
  { name: 'an overlong escape', status: 400, request: { method: 'DELETE', path: '/v1/metadata/a%c0%ae' } },
  { name: 'an encoded slash', status: 400, request: get('/v1/secrets/team%2Fa') },
  { name: 'a dot-dot segment', status: 400, request: get('/v1/secrets/team/../a') },
  { name: 'a trailing slash', status: 400, request: get('/v1/secrets/team/a/') },
  { name: 'an empty segment', status: 400, request: get('/v1/secrets/team//a') },
  { name: 'a bad path, unsigned', status: 401, request: { ...get('/v1/secrets/a%ff'), as: null } },

  // Wrong methods.
  {
    name: 'PATCH',
    status: 404,
    request: { method: 'PATCH', path: SECRET, headers: JSON_TYPE, body: json({ value: 'x' }) },
  },
  { name: 'OPTIONS', status: 404, request: { method: 'OPTIONS', path: SECRET } },
  { name: 'OPTIONS, unsigned', status: 401, request: { method: 'OPTIONS', path: SECRET, as: null } },
  { name: 'POST where only PUT is', status: 404, request: post(SECRET, { value: 'x' }) },
  { name: 'POST without JSON where only PUT is', status: 415, request: { method: 'POST', path: SECRET } },
  { name: 'PUT where only GET and DELETE are', status: 404, request: put('/v1/metadata/team/a', json({})) },
  { name: 'GET where only POST is', status: 404, request: get('/v1/rewrap/team/a') },
  { name: 'HEAD where only POST is', status: 404, request: { method: 'HEAD', path: '/v1/undelete/team/a' } },

  // Listing and metadata.
  { name: 'list', status: 200, request: get('/v1/metadata') },
  { name: 'a page of one, with a cursor', status: 200, request: get('/v1/metadata', 'prefix=team%2F&limit=1') },
  { name: 'a bad limit', status: 400, request: get('/v1/metadata', 'limit=0') },
  { name: 'a bad flag', status: 400, request: get('/v1/metadata', 'rotationDue=maybe') },
  { name: 'a forged cursor', status: 400, request: get('/v1/metadata', 'cursor=not-a-cursor') },
  { name: 'describe', status: 200, request: get('/v1/metadata/team/a') },
  { name: 'describe, as the reader', status: 200, request: { ...get('/v1/metadata/team/a'), as: READER } },

  // Lifecycle.
  { name: 'soft-delete the current version', status: 200, request: { method: 'DELETE', path: SECRET } },
  { name: 'read a deleted version', status: 410, request: get(SECRET, 'version=6') },
  { name: 'undelete', status: 200, request: post('/v1/undelete/team/a', { versions: [6] }) },
  { name: 'undelete nothing', status: 400, request: post('/v1/undelete/team/a', { versions: [] }) },
  { name: 'delete listed versions', status: 200, request: { method: 'DELETE', path: SECRET, query: 'versions=2,3' } },
  { name: 'delete a bad list', status: 400, request: { method: 'DELETE', path: SECRET, query: 'versions=2,,3' } },
  { name: 'destroy', status: 200, request: post('/v1/destroy/team/a', { versions: [1] }) },
  { name: 'read a destroyed version', status: 410, request: get(SECRET, 'version=1') },
  { name: 'rewrap', status: 200, request: post('/v1/rewrap/team/a', {}) },
  {
    name: 'rewrap with an empty JSON body',
    status: 200,
    request: { method: 'POST', path: '/v1/rewrap/team/a', headers: JSON_TYPE },
  },
  {
    name: 'a body of exactly 64 KiB',
    status: 200,
    request: { ...post('/v1/rewrap/team/a', {}), body: Buffer.concat([json({}), Buffer.alloc(64 * 1024 - 2, 0x20)]) },
  },
  { name: 'rewrap with a body', status: 400, request: post('/v1/rewrap/team/a', { force: true }) },
  { name: 're-check a secret that is no exchange key', status: 400, request: post('/v1/exchange-check/team/a', {}) },
  {
    name: 'the access trail',
    status: 200,
    request: get('/v1/audit/team/a'),
    // A page holds records from before the moment it is asked for.
    before: (f) => f.clock.advance(1000),
    check: (body) => expect((body as { items: unknown[] }).items.length).toBeGreaterThan(30),
  },
  { name: 'a page of the trail', status: 200, request: get('/v1/audit/team/a', 'limit=2') },
  { name: 'the trail since an instant', status: 200, request: get('/v1/audit/team/a', 'since=2026-03-01T00:00:00Z') },
  { name: 'the trail, as the reader', status: 403, request: { ...get('/v1/audit/team/a'), as: READER } },

  // Dependency faults.
  {
    name: 'KMS throttled on a write',
    status: 503,
    request: put(SECRET, json({ value: 'v7' })),
    before: (f) =>
      f.keys.failNext('generateDataKey', new DependencyError('kms', 'throttled', { retryAfterSeconds: 3 })),
  },
  {
    name: 'KMS unavailable on a read',
    status: 503,
    request: get(SECRET),
    before: (f) => f.keys.failNext('decryptDataKey', new DependencyError('kms', 'key disabled')),
  },
  {
    name: 'an unexpected failure',
    status: 500,
    request: get(SECRET),
    before: (f) => f.keys.failNext('decryptDataKey', new TypeError('boom: value xyz')),
  },

  // Erase.
  {
    name: 'erase with a stale cas',
    status: 409,
    request: { method: 'DELETE', path: '/v1/metadata/team/a', query: 'cas=1' },
  },
  { name: 'erase', status: 204, request: { method: 'DELETE', path: '/v1/metadata/team/a', query: 'cas=6' } },
  { name: 'read after erase', status: 404, request: get(SECRET) },
];

describe('the Lambda front answers API Gateway events as the express app answers HTTP', () => {
  let fronts: Front[];
  beforeAll(async () => {
    fronts = await Promise.all(FRONTS.map(front));
  });
  afterAll(async () => {
    await Promise.all(fronts.map((f) => f.close()));
  });

  it('has cases for every route of the table', () => {
    const routeOf = (method: string, path: string) =>
      ROUTES.find((route) => {
        const prefix = route.template.endsWith('{path}') ? route.template.slice(0, -'{path}'.length) : undefined;
        return route.method === method.toLowerCase() && (prefix ? path.startsWith(prefix) : path === route.template);
      });
    const covered = new Set(CASES.map((c) => routeOf(c.request.method, c.request.path)?.operationId));
    expect(ROUTES.map((route) => route.operationId).filter((id) => !covered.has(id))).toEqual([]);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const request: Sent = { ...c.request, as: c.request.as === undefined ? ADMIN : c.request.as };
    const seen: Observation[] = [];
    for (const f of fronts) {
      c.before?.(f);
      seen.push(await observe(f, request));
    }
    const [express, ...lambda] = seen;
    expect(express!.status).toBe(c.status);
    c.check?.(express!.body);
    for (const [i, other] of lambda.entries()) {
      expect({ front: FRONTS[i + 1], ...other }).toEqual({ front: FRONTS[i + 1], ...express });
    }
  });
});
