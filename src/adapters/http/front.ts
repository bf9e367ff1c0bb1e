import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { parse as parseContentType } from 'content-type';
import type { Policy } from '../../core/policy';
import { normalisePrincipal } from '../../core/principal';
import type { Caller, Vault } from '../../core/vault';
import type { Authenticator, SignedRequest } from '../auth/authenticator';
import type { Logger } from '../log/logger';
import { parse, parseJsonBody } from './body';
import { callerContext } from './caller-context';
import { UnsupportedMediaTypeError } from './errors';
import { openApiDocument } from './openapi';
import { type RequestOutcome, wellFormedRequestId } from './request-outcome';
import { pathPrefix, type Reply, type RouteDeps, type RouteSpec, routeMatcher } from './route-spec';

/**
 * The steps of a request that do not depend on what carried it, shared by the two HTTP fronts:
 * the express app (app.ts, server mode) and the Lambda front (lambda-front.ts, API Gateway
 * events without a framework). Each front runs them in the same order: request id, public
 * routes, body refusals (body-limits.ts), identity, the JSON body, signed routes, 404; every
 * error goes through errorReply (errors.ts); one log line and one outcome per request.
 */

export interface FrontOptions {
  vault: Vault;
  logger: Logger;
  /** The policy in force, for routes outside the Vault (GET /metrics); the Vault holds its own. */
  policy: Policy;
  /** Sees every finished request (metrics). */
  observe?: (outcome: RequestOutcome) => void;
  /** Prometheus text for GET /metrics (server mode); without it that route is a 404. */
  metricsText?: () => string;
}

/**
 * What route handlers may use. The OpenAPI document, and the response schemas it describes
 * (view-schemas.ts), are built on first use: they serve only GET /openapi.json, and building
 * them would otherwise be part of every Lambda cold start.
 */
export function routeDeps(options: FrontOptions): RouteDeps {
  let document: unknown;
  return {
    vault: options.vault,
    policy: options.policy,
    ...(options.metricsText && { metricsText: options.metricsText }),
    openApi: () => {
      document ??= openApiDocument();
      return document;
    },
  };
}

/** Our id for a request: the one its front already has (API Gateway's) when well formed, else a fresh UUID. */
export function requestIdFor(frontRequestId: string | undefined): string {
  return wellFormedRequestId(frontRequestId) ?? randomUUID();
}

/**
 * The caller of a signed request: the identity the authenticator states, normalised (the one
 * place a principal enters: sessions become their role, the root is refused), with the purpose
 * it states and, on Lambda, API Gateway's request id, for the access trail.
 */
export async function identify(
  authenticate: Authenticator,
  request: SignedRequest & { headers: IncomingHttpHeaders },
  requestId: string,
  gatewayRequestId: string | undefined,
): Promise<Caller> {
  const stated = await authenticate(request);
  return {
    principal: normalisePrincipal(stated),
    requestId,
    ...callerContext(request.headers, gatewayRequestId),
  };
}

/**
 * Whether a request declares a JSON body, as express's `req.is('application/json')` decides
 * (type-is, whose steps for one exact type these are, with the same content-type parser): it
 * has a body (a Transfer-Encoding, or a Content-Length that is a number), and its media type,
 * parameters aside and in any case, is application/json. Written out rather than taken from
 * type-is, which would bring mime-types (and its table) into the Lambda bundle for nothing;
 * test/unit/json-request.test.ts holds the two to the same answers.
 */
export function isJsonRequest(headers: IncomingHttpHeaders): boolean {
  const hasBody = headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(headers['content-length']));
  const declared = headers['content-type'];
  return hasBody && Boolean(declared) && parseContentType(declared!, { parameters: false }).type === 'application/json';
}

/**
 * The parsed body of a PUT or POST (415 unless it is declared JSON; an empty body is `{}`);
 * undefined for other methods, whose bodies are never read as JSON.
 */
export function jsonBodyOf(method: string, headers: IncomingHttpHeaders, body: Buffer): unknown {
  if (method !== 'PUT' && method !== 'POST') return undefined;
  if (!isJsonRequest(headers)) throw new UnsupportedMediaTypeError();
  return body.length === 0 ? {} : parseJsonBody(body);
}

const matchers = new Map<RouteSpec, (path: string) => boolean>();

function matcherOf(route: RouteSpec): (path: string) => boolean {
  let match = matchers.get(route);
  if (!match) {
    const matcher = routeMatcher(route.template);
    match = typeof matcher === 'string' ? (path) => path === matcher : (path) => matcher.test(path);
    matchers.set(route, match);
  }
  return match;
}

/**
 * The route of `routes` a request reaches, by the rules express applies to them as app.ts
 * mounts them: the first of the kind (public or signed) whose method and template match; the
 * method in any case, HEAD reaching GET routes; the path (undecoded, without the query)
 * case-sensitively and strictly (no trailing-slash leniency).
 */
export function findRoute(
  routes: readonly RouteSpec[],
  kind: 'public' | 'signed',
  method: string,
  path: string,
): RouteSpec | undefined {
  const verb = method.toLowerCase();
  return routes.find(
    (route) =>
      (route.action === 'public') === (kind === 'public') &&
      (route.method === verb || (verb === 'head' && route.method === 'get')) &&
      matcherOf(route)(path),
  );
}

/**
 * Runs a matched route: its path parameter (the rest of the path, undecoded: path validation
 * judges it), its query and body parsed with its schemas, then its handler.
 */
export async function callRoute(
  route: RouteSpec,
  request: { caller: Caller | undefined; path: string; query: unknown; body: unknown },
  deps: RouteDeps,
): Promise<Reply> {
  const prefix = pathPrefix(route.template);
  const input = {
    caller: request.caller,
    path: prefix ? request.path.slice(prefix.length) : '',
    query: parse(route.query(), request.query, 'query'),
    body: route.body ? parse(route.body()!, request.body, 'body') : undefined,
  };
  return route.handle(input as never, deps);
}

/** A finished request, as the log line and the metrics see it. */
export interface FinishedRequest {
  requestId: string;
  callerRequestId: string | undefined;
  method: string;
  /** The route template, when one matched. */
  route: string | undefined;
  status: number;
  /** process.hrtime.bigint() when the request arrived. */
  started: bigint;
  caller: Caller | undefined;
  errorCode: string | undefined;
  errorDetail: string | undefined;
}

/**
 * One log line per request, then the outcome for metrics. Never the body, the value, a key or
 * a query string (cursors and prefixes stay out).
 */
export function finishRequest(options: Pick<FrontOptions, 'logger' | 'observe'>, request: FinishedRequest): void {
  const { requestId, callerRequestId, method, route, status, caller, errorCode, errorDetail } = request;
  const latencyMs = Number((process.hrtime.bigint() - request.started) / 1000n) / 1000;
  options.logger.write({
    type: 'request',
    requestId,
    ...(callerRequestId && { callerRequestId }),
    method,
    route: route ?? 'unmatched',
    status,
    latencyMs,
    principal: caller?.principal ?? null,
    ...(errorCode && { error: errorCode }),
    ...(errorDetail && { detail: errorDetail }),
  });
  options.observe?.({ method, route: route ?? 'unmatched', status, latencyMs });
}
