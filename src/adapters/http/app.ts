import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { normalisePrincipal } from '../../core/principal';
import type { Vault } from '../../core/vault';
import type { Authenticator } from '../auth/authenticator';
import type { Logger } from '../log/logger';
import { parseJsonBody } from './body';
import { callerContext } from './caller-context';
import { errorMiddleware, RouteNotFoundError, UnsupportedMediaTypeError } from './errors';
import './request-state';
import { mountRoutes } from './routes';

export const MAX_BODY_BYTES = 64 * 1024;

export interface AppOptions {
  vault: Vault;
  authenticate: Authenticator;
  logger: Logger;
  /** On Lambda: API Gateway's request id of the current invocation, for the access trail. */
  gatewayRequestId?: () => string | undefined;
}

/**
 * The HTTP adapter. Order matters: request id and logging first, then identity (before the
 * body is parsed or anything reaches the core), then the routes, then one error middleware.
 */
export function createApp(options: AppOptions): express.Express {
  const { vault, authenticate, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const { route, caller, errorCode, errorDetail } = res.locals;
      // Never the body, the value, a key or a query string (cursors and prefixes stay out).
      logger.write({
        type: 'request',
        requestId,
        method: req.method,
        route: route ?? 'unmatched',
        status: res.statusCode,
        latencyMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        principal: caller?.principal ?? null,
        ...(errorCode && { error: errorCode }),
        ...(errorDetail && { detail: errorDetail }),
      });
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.locals.route = '/healthz';
    res.json({ status: 'ok' });
  });

  app.use(express.raw({ type: () => true, limit: MAX_BODY_BYTES }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    Promise.resolve()
      .then(() => authenticate({ method: req.method, url: req.originalUrl, headers: req.headers, body }))
      .then((stated) => {
        // The one place a principal enters: sessions become their role, the root is refused.
        res.locals.caller = {
          principal: normalisePrincipal(stated),
          requestId: res.locals.requestId,
          ...callerContext(req.headers, options.gatewayRequestId?.()),
        };
        if (req.method === 'PUT' || req.method === 'POST') {
          if (!req.is('application/json')) throw new UnsupportedMediaTypeError();
          res.locals.body = body.length === 0 ? {} : parseJsonBody(body);
        }
        next();
      })
      .catch(next);
  });

  mountRoutes(app, vault);

  app.use((_req: Request, _res: Response, next: NextFunction) => next(new RouteNotFoundError()));
  app.use(errorMiddleware(logger));
  return app;
}
