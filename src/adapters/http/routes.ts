import { AccessDeniedError } from '../../core/errors';
import { holdsAnywhere } from '../../core/policy';
import { RouteNotFoundError } from './errors';
import { defineRoute, type RouteSpec } from './route-spec';
import * as schemas from './schemas';
import {
  descriptionView,
  historyView,
  type ListView,
  metadataView,
  mutationView,
  recheckView,
  rewrapView,
  secretView,
} from './views';

const DEFAULT_LIST_LIMIT = 50;

/**
 * The API, one entry per route: method, template, policy action, query and body schemas,
 * responses and error statuses, and a thin handler (parse is done for it; it calls one use
 * case and says what to answer). Both HTTP fronts serve this table (express in app.ts, API
 * Gateway events in lambda-front.ts) and the OpenAPI document describes it; to add a route, add an entry here, then run `npm run openapi` (the drift test fails
 * until docs/openapi.json matches) and, unless it is serverOnly, give it an API Gateway event
 * in serverless.yml (test/deploy checks the two agree).
 */
export const ROUTES: readonly RouteSpec[] = [
  defineRoute({
    operationId: 'health',
    method: 'get',
    template: '/healthz',
    summary: 'Liveness',
    description: 'No authentication and no dependency calls.',
    action: 'public',
    query: schemas.emptyQuery,
    responses: { 200: { description: 'the process is up', schema: (v) => v.healthSchema } },
    errors: [],
    handle: async () => ({ status: 200, json: { status: 'ok' } }),
  }),
  defineRoute({
    operationId: 'openApi',
    method: 'get',
    template: '/openapi.json',
    summary: 'This document',
    description: 'The OpenAPI 3.1 description of the API, generated from the route table. No authentication.',
    action: 'public',
    query: schemas.emptyQuery,
    responses: { 200: { description: 'an OpenAPI 3.1 document', contentType: 'application/json' } },
    errors: [],
    handle: async (_input, deps) => ({ status: 200, json: deps.openApi() }),
  }),
  defineRoute({
    operationId: 'putSecret',
    method: 'put',
    template: '/v1/secrets/{path}',
    summary: 'Write a new version',
    description:
      'Without cas, a write that loses a race re-reads and retries, so concurrent writers each get their own version.',
    action: 'write',
    query: schemas.emptyQuery,
    body: schemas.putSecretBody,
    responses: {
      200: { description: 'a new version of an existing secret', schema: (v) => v.mutationViewSchema },
      201: { description: 'the first version', schema: (v) => v.mutationViewSchema },
    },
    errors: [409, 410],
    handle: async ({ caller, path, body }, { vault }) => {
      const result = await vault.put(caller, path, body);
      return { status: result.created ? 201 : 200, json: mutationView(result) };
    },
  }),
  defineRoute({
    operationId: 'getSecret',
    method: 'get',
    template: '/v1/secrets/{path}',
    summary: 'Read the current version, or ?version=n',
    action: 'read',
    query: schemas.getSecretQuery,
    responses: { 200: { description: 'the value and its version', schema: (v) => v.secretViewSchema } },
    errors: [404, 410],
    handle: async ({ caller, path, query }, { vault }) => ({
      status: 200,
      json: secretView(await vault.get(caller, path, query.version)),
    }),
  }),
  defineRoute({
    operationId: 'deleteSecret',
    method: 'delete',
    template: '/v1/secrets/{path}',
    summary: 'Soft-delete versions (the current one by default); recoverable',
    action: 'delete',
    query: schemas.deleteSecretQuery,
    responses: { 200: { description: 'the secret after the change', schema: (v) => v.mutationViewSchema } },
    errors: [404, 409, 410],
    handle: async ({ caller, path, query }, { vault }) => ({
      status: 200,
      json: mutationView(await vault.delete(caller, path, query)),
    }),
  }),
  defineRoute({
    operationId: 'listSecrets',
    method: 'get',
    template: '/v1/metadata',
    summary: 'A page of metadata',
    description:
      'Only secrets the caller may both list and describe. A page may hold fewer than limit items; only a missing cursor means the end.',
    action: 'list',
    query: schemas.listQuery,
    responses: { 200: { description: 'a page', schema: (v) => v.listViewSchema } },
    errors: [],
    handle: async ({ caller, query }, { vault }) => {
      const page = await vault.list(caller, {
        prefix: query.prefix ?? '',
        limit: query.limit ?? DEFAULT_LIST_LIMIT,
        ...(query.cursor !== undefined && { cursor: query.cursor }),
        rotationDue: query.rotationDue ?? false,
        flagged: query.flagged ?? false,
      });
      const view: ListView = { items: page.items.map(metadataView), ...(page.cursor && { cursor: page.cursor }) };
      return { status: 200, json: view };
    },
  }),
  defineRoute({
    operationId: 'describeSecret',
    method: 'get',
    template: '/v1/metadata/{path}',
    summary: 'Metadata and versions, never a value',
    action: 'describe',
    query: schemas.emptyQuery,
    description: 'A caller who may also audit the secret gets a summary of recent reads (access).',
    responses: { 200: { description: 'the metadata', schema: (v) => v.descriptionViewSchema } },
    errors: [404],
    handle: async ({ caller, path }, { vault }) => ({
      status: 200,
      json: descriptionView(await vault.describe(caller, path)),
    }),
  }),
  defineRoute({
    operationId: 'eraseSecret',
    method: 'delete',
    template: '/v1/metadata/{path}',
    summary: 'Erase the secret and all its versions',
    action: 'destroy',
    query: schemas.casQuery,
    responses: { 204: { description: 'erased' } },
    errors: [404, 409],
    handle: async ({ caller, path, query }, { vault }) => {
      await vault.destroyAll(caller, path, query.cas);
      return { status: 204 };
    },
  }),
  defineRoute({
    operationId: 'undeleteSecret',
    method: 'post',
    template: '/v1/undelete/{path}',
    summary: 'Recover soft-deleted versions',
    action: 'delete',
    query: schemas.emptyQuery,
    body: schemas.versionsBody,
    responses: { 200: { description: 'the secret after the change', schema: (v) => v.mutationViewSchema } },
    errors: [404, 409, 410],
    handle: async ({ caller, path, body }, { vault }) => ({
      status: 200,
      json: mutationView(await vault.undelete(caller, path, body)),
    }),
  }),
  defineRoute({
    operationId: 'destroySecret',
    method: 'post',
    template: '/v1/destroy/{path}',
    summary: 'Erase the ciphertext and wrapped key of versions for good',
    action: 'destroy',
    query: schemas.emptyQuery,
    body: schemas.versionsBody,
    responses: { 200: { description: 'the secret after the change', schema: (v) => v.mutationViewSchema } },
    errors: [404, 409, 410],
    handle: async ({ caller, path, body }, { vault }) => ({
      status: 200,
      json: mutationView(await vault.destroy(caller, path, body)),
    }),
  }),
  defineRoute({
    operationId: 'rewrapSecret',
    method: 'post',
    template: '/v1/rewrap/{path}',
    summary: "Rewrap every retained version's data key under the current key",
    action: 'admin',
    query: schemas.emptyQuery,
    body: schemas.emptyBody,
    responses: { 200: { description: 'what moved', schema: (v) => v.rewrapViewSchema } },
    errors: [404, 409],
    handle: async ({ caller, path }, { vault }) => ({
      status: 200,
      json: rewrapView(await vault.rewrap(caller, path)),
    }),
  }),
  defineRoute({
    operationId: 'recheckExchangeKey',
    method: 'post',
    template: '/v1/exchange-check/{path}',
    summary: "Ask the exchange again what the current version's key may do",
    description:
      'Records the answer on the secret without a new version; a key that gained withdraw, or that the exchange now refuses, is flagged (list them with flagged=true). The value is used to sign the call and never returned.',
    action: 'check',
    query: schemas.emptyQuery,
    body: schemas.emptyBody,
    responses: { 200: { description: 'the check and any flags', schema: (v) => v.recheckViewSchema } },
    errors: [404, 409, 410, 422],
    handle: async ({ caller, path }, { vault }) => ({
      status: 200,
      json: recheckView(await vault.recheck(caller, path)),
    }),
  }),
  defineRoute({
    operationId: 'accessHistory',
    method: 'get',
    template: '/v1/audit/{path}',
    summary: "The secret's access trail, newest first",
    description:
      'Who did what to the secret, when and why (X-Vault-Purpose), from the durable access trail; never a value. Needs the audit action, not read.',
    action: 'audit',
    query: schemas.historyQuery,
    responses: { 200: { description: 'a page of records', schema: (v) => v.historyViewSchema } },
    errors: [404],
    handle: async ({ caller, path, query }, { vault }) => ({
      status: 200,
      json: historyView(
        await vault.history(caller, path, {
          since: query.since,
          until: query.until,
          limit: query.limit ?? DEFAULT_LIST_LIMIT,
          cursor: query.cursor,
        }),
      ),
    }),
  }),
  defineRoute({
    operationId: 'metrics',
    method: 'get',
    template: '/metrics',
    summary: 'Request and key-service counts in Prometheus text format (server mode)',
    description:
      'Needs a policy rule granting the metrics action (its paths do not matter). On Lambda the same counts go to CloudWatch as embedded-metric-format log lines instead.',
    action: 'metrics',
    query: schemas.emptyQuery,
    responses: { 200: { description: 'Prometheus text exposition format 0.0.4', contentType: 'text/plain' } },
    errors: [404],
    serverOnly: true,
    handle: async ({ caller }, { policy, metricsText }) => {
      if (!metricsText) throw new RouteNotFoundError();
      if (!holdsAnywhere(policy, caller.principal, 'metrics')) throw new AccessDeniedError();
      return { status: 200, text: metricsText(), contentType: 'text/plain; version=0.0.4; charset=utf-8' };
    },
  }),
];
