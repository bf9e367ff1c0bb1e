import type { NextFunction, Request, Response, Router } from 'express';
import type { Vault } from '../../core/vault';
import { parse } from './body';
import { callerOf } from './request-state';
import * as schemas from './schemas';
import { descriptionView, historyView, type ListView, metadataView, mutationView, recheckView } from './views';

const DEFAULT_LIST_LIMIT = 50;

type Handler = (req: Request, res: Response) => Promise<void>;

/** The secret path as sent, undecoded: `%2e%2e` stays visible and fails validation. */
function rawPath(req: Request, prefix: string): string {
  return req.path.slice(prefix.length);
}

/**
 * The API's routes: each parses with zod, calls one use case and serialises the result.
 * `template` is what logs show (never the path itself).
 */
export function mountRoutes(router: Pick<Router, 'get' | 'put' | 'post' | 'delete'>, vault: Vault): void {
  const route = (template: string, handler: Handler) => (req: Request, res: Response, next: NextFunction) => {
    res.locals.route = template;
    handler(req, res).catch(next);
  };

  router.put(
    '/v1/secrets/*path',
    route('/v1/secrets/{path}', async (req, res) => {
      const body = parse(schemas.putSecretBody, res.locals.body, 'body');
      const result = await vault.put(callerOf(res), rawPath(req, '/v1/secrets/'), body);
      res.status(result.created ? 201 : 200).json(mutationView(result));
    }),
  );

  router.get(
    '/v1/secrets/*path',
    route('/v1/secrets/{path}', async (req, res) => {
      const query = parse(schemas.getSecretQuery, req.query, 'query');
      res.json(await vault.get(callerOf(res), rawPath(req, '/v1/secrets/'), query.version));
    }),
  );

  router.delete(
    '/v1/secrets/*path',
    route('/v1/secrets/{path}', async (req, res) => {
      const query = parse(schemas.deleteSecretQuery, req.query, 'query');
      res.json(mutationView(await vault.delete(callerOf(res), rawPath(req, '/v1/secrets/'), query)));
    }),
  );

  router.get(
    '/v1/metadata',
    route('/v1/metadata', async (req, res) => {
      const query = parse(schemas.listQuery, req.query, 'query');
      const page = await vault.list(callerOf(res), {
        prefix: query.prefix ?? '',
        limit: query.limit ?? DEFAULT_LIST_LIMIT,
        ...(query.cursor !== undefined && { cursor: query.cursor }),
        rotationDue: query.rotationDue ?? false,
        flagged: query.flagged ?? false,
      });
      const view: ListView = { items: page.items.map(metadataView), ...(page.cursor && { cursor: page.cursor }) };
      res.json(view);
    }),
  );

  router.get(
    '/v1/metadata/*path',
    route('/v1/metadata/{path}', async (req, res) => {
      parse(schemas.emptyBody, req.query, 'query');
      res.json(descriptionView(await vault.describe(callerOf(res), rawPath(req, '/v1/metadata/'))));
    }),
  );

  router.delete(
    '/v1/metadata/*path',
    route('/v1/metadata/{path}', async (req, res) => {
      const query = parse(schemas.casQuery, req.query, 'query');
      await vault.destroyAll(callerOf(res), rawPath(req, '/v1/metadata/'), query.cas);
      res.status(204).end();
    }),
  );

  router.post(
    '/v1/undelete/*path',
    route('/v1/undelete/{path}', async (req, res) => {
      const body = parse(schemas.versionsBody, res.locals.body, 'body');
      res.json(mutationView(await vault.undelete(callerOf(res), rawPath(req, '/v1/undelete/'), body)));
    }),
  );

  router.post(
    '/v1/destroy/*path',
    route('/v1/destroy/{path}', async (req, res) => {
      const body = parse(schemas.versionsBody, res.locals.body, 'body');
      res.json(mutationView(await vault.destroy(callerOf(res), rawPath(req, '/v1/destroy/'), body)));
    }),
  );

  router.post(
    '/v1/exchange-check/*path',
    route('/v1/exchange-check/{path}', async (req, res) => {
      parse(schemas.emptyBody, res.locals.body, 'body');
      res.json(recheckView(await vault.recheck(callerOf(res), rawPath(req, '/v1/exchange-check/'))));
    }),
  );

  router.get(
    '/v1/audit/*path',
    route('/v1/audit/{path}', async (req, res) => {
      const query = parse(schemas.historyQuery, req.query, 'query');
      const page = await vault.history(callerOf(res), rawPath(req, '/v1/audit/'), {
        since: query.since,
        until: query.until,
        limit: query.limit ?? DEFAULT_LIST_LIMIT,
        cursor: query.cursor,
      });
      res.json(historyView(page));
    }),
  );

  router.post(
    '/v1/rewrap/*path',
    route('/v1/rewrap/{path}', async (req, res) => {
      parse(schemas.emptyBody, res.locals.body, 'body');
      res.json(await vault.rewrap(callerOf(res), rawPath(req, '/v1/rewrap/')));
    }),
  );
}
