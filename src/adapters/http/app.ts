import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { readRawBody, refuseUnreadableBodies } from './body-limits';
import { errorMiddleware, RouteNotFoundError } from './errors';
import { callRoute, type FrontOptions, finishRequest, identify, jsonBodyOf, requestIdFor, routeDeps } from './front';
import { wellFormedRequestId } from './request-outcome';
import { callerOf } from './request-state';
import { type Reply, type RouteDeps, routeMatcher } from './route-spec';
import { ROUTES } from './routes';

export interface AppOptions extends FrontOptions {
  authenticate: Authenticator;
  /** The request id a front already has; otherwise a fresh UUID. */
  requestIdOf?: (req: Request) => string | undefined;
}

/**
 * The HTTP adapter of server mode (`npm start`). Order matters: request id and logging first,
 * then the public routes, then identity (before the body is parsed or anything reaches the
 * core), then the signed routes, then one error middleware. The steps themselves are shared
 * with the Lambda front (front.ts), which runs them in the same order without express.
 */
export function createApp(options: AppOptions): express.Express {
  const { authenticate, logger } = options;
  const deps = routeDeps(options);
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
    const requestId = requestIdFor(options.requestIdOf?.(req));
    // The caller's own id, when it is one we can log safely, goes beside ours.
    const callerRequestId = wellFormedRequestId(req.headers['x-request-id']);
    res.locals.requestId = requestId;
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const { route, caller, errorCode, errorDetail } = res.locals;
      finishRequest(options, {
        requestId,
        callerRequestId,
        method: req.method,
        route,
        status: res.statusCode,
        started,
        caller,
        errorCode,
        errorDetail,
      });
    });
    next();
  });

  mountRoutes(app, deps, 'public');

  app.use(refuseUnreadableBodies);
  app.use(readRawBody);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    Promise.resolve()
      .then(() =>
        identify(
          authenticate,
          { method: req.method, url: req.originalUrl, headers: req.headers, body },
          res.locals.requestId,
          options.requestIdOf?.(req),
        ),
      )
      .then((caller) => {
        res.locals.caller = caller;
        res.locals.body = jsonBodyOf(req.method, req.headers, body);
        next();
      })
      .catch(next);
  });

  mountRoutes(app, deps, 'signed');

  app.use((_req: Request, _res: Response, next: NextFunction) => next(new RouteNotFoundError()));
  app.use(errorMiddleware(logger));
  return app;
}

type Mountable = Pick<Router, 'get' | 'put' | 'post' | 'delete'>;

/**
 * Mounts the table's routes of one kind: the public ones go before identity, the signed ones
 * after it. Each matches as routeMatcher says (the Lambda front's findRoute follows the same
 * rules).
 */
function mountRoutes(router: Mountable, deps: RouteDeps, kind: 'public' | 'signed'): void {
  for (const route of ROUTES) {
    if ((route.action === 'public') !== (kind === 'public')) continue;
    router[route.method](routeMatcher(route.template), (req: Request, res: Response, next: NextFunction) => {
      res.locals.route = route.template;
      Promise.resolve()
        .then(async () => {
          const caller = kind === 'public' ? undefined : callerOf(res);
          send(res, await callRoute(route, { caller, path: req.path, query: req.query, body: res.locals.body }, deps));
        })
        .catch(next);
    });
  }
}

function send(res: Response, reply: Reply): void {
  if ('json' in reply) res.status(reply.status).json(reply.json);
  else if ('text' in reply) res.status(reply.status).type(reply.contentType).send(reply.text);
  else res.status(reply.status).end();
}
