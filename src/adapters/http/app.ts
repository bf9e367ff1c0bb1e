import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Policy } from '../../core/policy';
import { normalisePrincipal } from '../../core/principal';
import type { Vault } from '../../core/vault';
import type { Authenticator } from '../auth/authenticator';
import type { Logger } from '../log/logger';
import { parseJsonBody } from './body';
import { readRawBody, refuseUnreadableBodies } from './body-limits';
import { callerContext } from './caller-context';
import { errorMiddleware, RouteNotFoundError, UnsupportedMediaTypeError } from './errors';
import './request-state';
import { openApiDocument } from './openapi';
import { type RequestOutcome, wellFormedRequestId } from './request-outcome';
import type { RouteDeps } from './route-spec';
import { mountRoutes } from './routes';

export interface AppOptions {
  vault: Vault;
  authenticate: Authenticator;
  logger: Logger;
  /** The policy in force, for routes outside the Vault (GET /metrics); the Vault holds its own. */
  policy: Policy;
  /** Sees every finished request (metrics). */
  observe?: (outcome: RequestOutcome) => void;
  /** Prometheus text for GET /metrics (server mode); without it that route is a 404. */
  metricsText?: () => string;
  /** The request id a front already has (API Gateway's on Lambda); otherwise a fresh UUID. */
  requestIdOf?: (req: Request) => string | undefined;
}

/**
 * The HTTP adapter. Order matters: request id and logging first, then identity (before the
 * body is parsed or anything reaches the core), then the routes, then one error middleware.
 */
export function createApp(options: AppOptions): express.Express {
  const { authenticate, logger } = options;
  let document: unknown;
  const deps: RouteDeps = {
    vault: options.vault,
    policy: options.policy,
    ...(options.metricsText && { metricsText: options.metricsText }),
    openApi: () => {
      document ??= openApiDocument();
      return document;
    },
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.set('etag', false);
  app.set('query parser', 'simple');
  // res.send answers 304 with no body when the request looks "fresh" (If-None-Match: * is
  // always fresh). An API read returns the value or an error, never an empty cache hit, and
  // every response is no-store anyway: conditional request headers are ignored.
  Object.defineProperty(app.request, 'fresh', { configurable: true, get: () => false });

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = wellFormedRequestId(options.requestIdOf?.(req)) ?? randomUUID();
    // The caller's own id, when it is one we can log safely, goes beside ours.
    const callerRequestId = wellFormedRequestId(req.headers['x-request-id']);
    res.locals.requestId = requestId;
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const { route, caller, errorCode, errorDetail } = res.locals;
      const latencyMs = Number((process.hrtime.bigint() - started) / 1000n) / 1000;
      // Never the body, the value, a key or a query string (cursors and prefixes stay out).
      logger.write({
        type: 'request',
        requestId,
        ...(callerRequestId && { callerRequestId }),
        method: req.method,
        route: route ?? 'unmatched',
        status: res.statusCode,
        latencyMs,
        principal: caller?.principal ?? null,
        ...(errorCode && { error: errorCode }),
        ...(errorDetail && { detail: errorDetail }),
      });
      options.observe?.({ method: req.method, route: route ?? 'unmatched', status: res.statusCode, latencyMs });
    });
    next();
  });

  mountRoutes(app, deps, 'public');

  app.use(refuseUnreadableBodies);
  app.use(readRawBody);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    Promise.resolve()
      .then(() => authenticate({ method: req.method, url: req.originalUrl, headers: req.headers, body }))
      .then((stated) => {
        // The one place a principal enters: sessions become their role, the root is refused.
        res.locals.caller = {
          principal: normalisePrincipal(stated),
          requestId: res.locals.requestId,
          // The stated purpose, and on Lambda API Gateway's request id, for the access trail.
          ...callerContext(req.headers, options.requestIdOf?.(req)),
        };
        if (req.method === 'PUT' || req.method === 'POST') {
          if (!req.is('application/json')) throw new UnsupportedMediaTypeError();
          res.locals.body = body.length === 0 ? {} : parseJsonBody(body);
        }
        next();
      })
      .catch(next);
  });

  mountRoutes(app, deps, 'signed');

  app.use((_req: Request, _res: Response, next: NextFunction) => next(new RouteNotFoundError()));
  app.use(errorMiddleware(logger));
  return app;
}
