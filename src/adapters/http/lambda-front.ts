import type { IncomingHttpHeaders } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { format as formatUrl, parse as parseUrl } from 'node:url';
import type { Caller } from '../../core/vault';
import { principalFromEvent } from '../auth/lambda-identity';
import { bodyTooLarge, unreadableBody } from './body-limits';
import { gatewayRequestIdOf } from './caller-context';
import { errorBody, errorReply, logFailure, RouteNotFoundError } from './errors';
import {
  callRoute,
  type FrontOptions,
  findRoute,
  finishRequest,
  identify,
  jsonBodyOf,
  requestIdFor,
  routeDeps,
} from './front';
import { wellFormedRequestId } from './request-outcome';
import type { Reply } from './route-spec';
import { ROUTES } from './routes';

/**
 * The HTTP front on Lambda: API Gateway events (REST API payload 1.0, HTTP API and function URL
 * payload 2.0) in, proxy results out, through the same steps as the express app of server mode
 * (front.ts) and without a framework, so a cold start loads neither express nor an adapter.
 * A request is read from the event as the express app saw it through serverless-express, which
 * this front replaced: the request target, the query as node:querystring parses it, the headers
 * in lower case, the body's bytes (base64 decoded when flagged) with Content-Length set to them.
 */

interface RestEvent {
  httpMethod?: string;
  path?: string;
  headers?: Record<string, string> | null;
  multiValueHeaders?: Record<string, string[]> | null;
  multiValueQueryStringParameters?: Record<string, string[]> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext?: object;
}

interface HttpApiEvent {
  version: '2.0';
  rawPath?: string;
  rawQueryString?: string;
  cookies?: string[];
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { http: { method: string } };
}

/** What API Gateway takes back: payload 1.0 results carry their headers as lists. */
export type LambdaResult =
  | { statusCode: number; body: string; multiValueHeaders: Record<string, string[]>; isBase64Encoded: false }
  | { statusCode: number; body: string; headers: Record<string, string>; isBase64Encoded: false };

export type LambdaFront = (event: unknown) => Promise<LambdaResult>;

interface FrontRequest {
  method: string;
  /** The request target: raw path and query, as express's req.originalUrl would be. */
  url: string;
  /** The path, undecoded and without the query. */
  path: string;
  /** The raw query string, without '?'; null when there is none. */
  query: string | null;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function isHttpApi(event: unknown): event is HttpApiEvent {
  return (event as { version?: unknown }).version === '2.0';
}

/**
 * Header names in lower case. A REST event's lists of values are joined with ',' (as API
 * Gateway's single-value `headers` are); a name given twice in different cases keeps the last.
 */
function lowerCased(headers: Record<string, string | string[]> | null | undefined): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

/** Headers of which Node's HTTP parser keeps the first when a request repeats them. */
const SINGLE_VALUED = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/**
 * A REST event's single-value `headers` (used only when it has no `multiValueHeaders`), merged
 * as Node's HTTP parser merges a repeated header: names in different cases are one header.
 */
function mergedAsNode(headers: Record<string, string> | null | undefined): IncomingHttpHeaders {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const key = name.toLowerCase();
    const before = out[key];
    if (before === undefined) out[key] = value;
    else if (!SINGLE_VALUED.has(key)) out[key] = `${before}${key === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out;
}

/**
 * The path and query of a request target, as express reads them (parseurl): a plain target
 * splits at its first '?'; one with whitespace or '#' goes through url.parse, which escapes
 * the first and drops a fragment.
 */
function splitTarget(target: string): { path: string; query: string | null } {
  if (!/^\/[^\t\n\f\r #\u00a0\ufeff]*$/.test(target)) {
    const parsed = parseUrl(target);
    return { path: parsed.pathname ?? '', query: parsed.query as string | null };
  }
  const mark = target.indexOf('?');
  return mark === -1 ? { path: target, query: null } : { path: target.slice(0, mark), query: target.slice(mark + 1) };
}

/** The request an event carries, or a thrown Error when it is not an API Gateway event. */
function requestOf(event: unknown): FrontRequest {
  if (typeof event !== 'object' || event === null || typeof (event as RestEvent).requestContext !== 'object') {
    throw new Error('not an API Gateway or function URL event');
  }
  let method: string;
  let url: string;
  let headers: IncomingHttpHeaders;
  if (isHttpApi(event)) {
    method = event.requestContext.http.method;
    url = formatUrl({ pathname: event.rawPath ?? '', search: event.rawQueryString ?? '' });
    headers = {
      ...(event.cookies && { cookie: event.cookies.join('; ') }),
      ...lowerCased(event.headers),
    };
  } else {
    const rest = event as RestEvent;
    method = rest.httpMethod ?? '';
    url = formatUrl({ pathname: rest.path ?? '', query: rest.multiValueQueryStringParameters ?? null });
    headers = rest.multiValueHeaders ? lowerCased(rest.multiValueHeaders) : mergedAsNode(rest.headers);
  }
  const { body: text, isBase64Encoded } = event as { body?: string | null; isBase64Encoded?: boolean };
  const body = text ? Buffer.from(text, isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);
  // What is declared is what was received: API Gateway has the whole body.
  if (text) headers['content-length'] = String(body.length);
  return { method, url, ...splitTarget(url), headers, body };
}

/** A reply as express would send it: JSON with its charset, a length, no body for HEAD or 204. */
function render(
  reply: Reply,
  method: string,
  headers: Record<string, string>,
  http: 'rest' | 'http-api',
): LambdaResult {
  let body = '';
  if ('json' in reply || 'text' in reply) {
    // Text replies come only from GET /metrics, which is never served on Lambda.
    body = 'json' in reply ? JSON.stringify(reply.json) : reply.text;
    headers['content-type'] = 'json' in reply ? 'application/json; charset=utf-8' : reply.contentType;
    headers['content-length'] = String(Buffer.byteLength(body));
    if (method === 'HEAD') body = '';
  }
  return http === 'rest'
    ? {
        statusCode: reply.status,
        body,
        multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
        isBase64Encoded: false,
      }
    : { statusCode: reply.status, body, headers, isBase64Encoded: false };
}

/**
 * The handler body of src/lambda.ts: one event, one result. Identity comes only from the
 * event's request context (principalFromEvent), never from headers; API Gateway's request id
 * is the request's own, so a log line and the gateway's logs correlate.
 */
export function createLambdaFront(options: FrontOptions): LambdaFront {
  const deps = routeDeps(options);
  return async (event) => {
    const started = process.hrtime.bigint();
    const request = requestOf(event);
    const { method, path, headers } = request;
    const gatewayRequestId = gatewayRequestIdOf(event);
    const requestId = requestIdFor(gatewayRequestId);
    const responseHeaders: Record<string, string> = { 'cache-control': 'no-store', 'x-request-id': requestId };
    let route: string | undefined;
    let caller: Caller | undefined;
    let errorCode: string | undefined;
    let errorDetail: string | undefined;

    const serve = async (): Promise<Reply> => {
      const query = () => parseQuery(request.query ?? '');
      const publicRoute = findRoute(ROUTES, 'public', method, path);
      if (publicRoute) {
        route = publicRoute.template;
        return callRoute(publicRoute, { caller: undefined, path, query: query(), body: undefined }, deps);
      }
      const refusal = unreadableBody(headers) ?? bodyTooLarge(request.body);
      if (refusal) throw refusal;
      caller = await identify(
        () => principalFromEvent(event),
        { method, url: request.url, headers, body: request.body },
        requestId,
        gatewayRequestId,
      );
      const body = jsonBodyOf(method, headers, request.body);
      const signedRoute = findRoute(ROUTES, 'signed', method, path);
      if (!signedRoute) throw new RouteNotFoundError();
      route = signedRoute.template;
      return callRoute(signedRoute, { caller, path, query: query(), body }, deps);
    };

    let reply: Reply;
    try {
      reply = await serve();
    } catch (raw) {
      const failed = errorReply(raw);
      errorCode = failed.code;
      errorDetail = failed.errorDetail;
      if (failed.retryAfterSeconds !== undefined) responseHeaders['retry-after'] = String(failed.retryAfterSeconds);
      if (failed.status >= 500) logFailure(options.logger, requestId, failed.failure);
      reply = { status: failed.status, json: errorBody(failed.code, failed.message, requestId, failed.details) };
    }
    const result = render(reply, method, responseHeaders, isHttpApi(event) ? 'http-api' : 'rest');
    finishRequest(options, {
      requestId,
      callerRequestId: wellFormedRequestId(headers['x-request-id']),
      method,
      route,
      status: reply.status,
      started,
      caller,
      errorCode,
      errorDetail,
    });
    return result;
  };
}
