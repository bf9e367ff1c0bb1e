import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { z } from 'zod';
import { ValidationError } from '../../core/errors';
import type { SecretMetadata } from '../../core/ports';
import type { Caller, Vault } from '../../core/vault';
import { errorMiddleware, RouteNotFoundError, UnsupportedMediaTypeError } from './errors';
import type { Logger } from './logger';
import * as schemas from './schemas';

export const MAX_BODY_BYTES = 64 * 1024;
const DEFAULT_LIST_LIMIT = 50;

/** The raw request as it arrived, for identity checks that sign the exact bytes (SigV4). */
export interface RawRequest {
  req: Request;
  body: Buffer;
}

/**
 * Names the caller (a normalised IAM principal ARN) or throws AuthenticationError.
 * Embedded mode verifies SigV4; Lambda reads the identity API Gateway verified.
 */
export type Authenticator = (raw: RawRequest) => Promise<string> | string;

export interface AppOptions {
  vault: Vault;
  authenticate: Authenticator;
  logger: Logger;
}

/** Keys that could reach an object's prototype chain: refused anywhere in a body. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function parseJsonBody(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'), (key, value: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) throw new ValidationError(`the key '${key}' is not allowed`);
      return value;
    });
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    // The parser's message quotes the body; it is dropped on purpose.
    throw new ValidationError('request body is not valid JSON');
  }
}

function parse<T extends z.ZodType>(schema: T, input: unknown, where: string): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${[where, ...issue.path].join('.')}: ${issue.message}`);
    throw new ValidationError(`invalid ${where}`, issues);
  }
  return result.data;
}

/** The secret path as sent, undecoded: `%2e%2e` stays visible and fails validation. */
function rawPath(req: Request, prefix: string): string {
  return req.path.slice(prefix.length);
}

function caller(res: Response): Caller {
  return { principal: res.locals.principal as string, requestId: res.locals.requestId as string };
}

/** What callers see of a secret's metadata; `rev` stays internal. */
export function metadataView(meta: SecretMetadata) {
  return {
    path: meta.path,
    version: meta.version,
    labels: meta.labels,
    createdAt: meta.createdAt,
    createdBy: meta.createdBy,
    updatedAt: meta.updatedAt,
    updatedBy: meta.updatedBy,
    currentSince: meta.currentSince,
    ...(meta.rotationDays !== undefined && { rotationDays: meta.rotationDays }),
    rotationDueAt: meta.rotationDueAt,
    versions: meta.versions,
  };
}

type Handler = (req: Request, res: Response) => Promise<void>;

/**
 * The HTTP adapter: thin routes that parse with zod, call one use case and serialise it.
 * Order matters: request id and logging first, then identity (before the body is parsed or
 * anything reaches the core), then the routes, then one error middleware.
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
      // Never the body, the value, a key or a query string (cursors and prefixes stay out).
      logger.write({
        type: 'request',
        requestId,
        method: req.method,
        route: (res.locals.route as string | undefined) ?? 'unmatched',
        status: res.statusCode,
        latencyMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        principal: (res.locals.principal as string | undefined) ?? null,
        ...(res.locals.errorCode && { error: res.locals.errorCode }),
        ...(res.locals.errorDetail && { detail: res.locals.errorDetail }),
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
      .then(() => authenticate({ req, body }))
      .then((principal) => {
        res.locals.principal = principal;
        if (req.method === 'PUT' || req.method === 'POST') {
          if (!req.is('application/json')) throw new UnsupportedMediaTypeError();
          res.locals.body = body.length === 0 ? {} : parseJsonBody(body);
        }
        next();
      })
      .catch(next);
  });

  const route = (template: string, handler: Handler) => (req: Request, res: Response, next: NextFunction) => {
    res.locals.route = template;
    handler(req, res).catch(next);
  };

  app.put(
    '/v1/secrets/*path',
    route('/v1/secrets/{path}', async (req, res) => {
      const body = parse(schemas.putSecretBody, res.locals.body, 'body');
      const result = await vault.put(caller(res), rawPath(req, '/v1/secrets/'), body);
      res.status(result.created ? 201 : 200).json(metadataView(result.metadata));
    }),
  );

  app.get(
    '/v1/secrets/*path',
    route('/v1/secrets/{path}', async (req, res) => {
      const query = parse(schemas.getSecretQuery, req.query, 'query');
      res.json(await vault.get(caller(res), rawPath(req, '/v1/secrets/'), query.version));
    }),
  );

  app.delete(
    '/v1/secrets/*path',
    route('/v1/secrets/{path}', async (req, res) => {
      const query = parse(schemas.deleteSecretQuery, req.query, 'query');
      res.json(metadataView(await vault.delete(caller(res), rawPath(req, '/v1/secrets/'), query)));
    }),
  );

  app.get(
    '/v1/metadata',
    route('/v1/metadata', async (req, res) => {
      const query = parse(schemas.listQuery, req.query, 'query');
      const page = await vault.list(caller(res), {
        prefix: query.prefix ?? '',
        limit: query.limit ?? DEFAULT_LIST_LIMIT,
        ...(query.cursor !== undefined && { cursor: query.cursor }),
        rotationDue: query.rotationDue ?? false,
      });
      res.json({ items: page.items.map(metadataView), ...(page.cursor && { cursor: page.cursor }) });
    }),
  );

  app.get(
    '/v1/metadata/*path',
    route('/v1/metadata/{path}', async (req, res) => {
      parse(schemas.emptyBody, req.query, 'query');
      res.json(metadataView(await vault.describe(caller(res), rawPath(req, '/v1/metadata/'))));
    }),
  );

  app.delete(
    '/v1/metadata/*path',
    route('/v1/metadata/{path}', async (req, res) => {
      const query = parse(schemas.casQuery, req.query, 'query');
      await vault.destroyAll(caller(res), rawPath(req, '/v1/metadata/'), query.cas);
      res.status(204).end();
    }),
  );

  app.post(
    '/v1/undelete/*path',
    route('/v1/undelete/{path}', async (req, res) => {
      const body = parse(schemas.versionsBody, res.locals.body, 'body');
      res.json(metadataView(await vault.undelete(caller(res), rawPath(req, '/v1/undelete/'), body)));
    }),
  );

  app.post(
    '/v1/destroy/*path',
    route('/v1/destroy/{path}', async (req, res) => {
      const body = parse(schemas.versionsBody, res.locals.body, 'body');
      res.json(metadataView(await vault.destroy(caller(res), rawPath(req, '/v1/destroy/'), body)));
    }),
  );

  app.post(
    '/v1/rewrap/*path',
    route('/v1/rewrap/{path}', async (req, res) => {
      parse(schemas.emptyBody, res.locals.body, 'body');
      res.json(await vault.rewrap(caller(res), rawPath(req, '/v1/rewrap/')));
    }),
  );

  app.use((_req: Request, _res: Response, next: NextFunction) => next(new RouteNotFoundError()));
  app.use(errorMiddleware(logger));
  return app;
}
