import type * as z from 'zod/mini';
import type { Action, Policy } from '../../core/policy';
import type { Caller, Vault } from '../../core/vault';
import type { ErrorStatus, ViewSchemas } from './view-schemas';

/** What a route's handler may use. */
export interface RouteDeps {
  vault: Vault;
  /** The policy in force (a live view when the server reloads its file). */
  policy: Policy;
  /** Prometheus text of the server's counts; absent where no such endpoint is served (Lambda). */
  metricsText?: () => string;
  /** The OpenAPI document, built once on first use. */
  openApi: () => unknown;
}

/** `public`: no authentication (like /healthz); otherwise the policy action the route needs. */
export type RouteAction = Action | 'public';

export interface RouteInput<A extends RouteAction, Q, B> {
  /** The authenticated caller; public routes have none. */
  caller: A extends 'public' ? undefined : Caller;
  /** The secret path as sent (undecoded) for templates ending in `{path}`, else ''. */
  path: string;
  query: Q;
  body: B;
}

export type Reply =
  | { status: number; json: unknown }
  | { status: number; text: string; contentType: string }
  | { status: 204 };

export interface ResponseSpec {
  description: string;
  /**
   * The body's schema, picked from the response schemas (view-schemas.ts); absent for an empty
   * body. A pick, not the schema itself: the response schemas are built on first use (by the
   * OpenAPI document and tests), not when the table is, so a Lambda cold start does not pay for
   * them.
   */
  schema?: (views: ViewSchemas) => z.ZodMiniType;
  /** Default application/json. */
  contentType?: string;
}

/**
 * One route, declared once: both HTTP fronts serve it (app.ts, lambda-front.ts) and the OpenAPI
 * document describes it (openapi.ts) from the same object, so a route cannot exist without its
 * description.
 */
export interface RouteSpec<
  A extends RouteAction = RouteAction,
  Q extends z.ZodMiniType = z.ZodMiniType,
  B extends z.ZodMiniType | undefined = z.ZodMiniType | undefined,
> {
  operationId: string;
  method: 'get' | 'put' | 'post' | 'delete';
  /** The path template: what logs and metrics show, and the OpenAPI path. `{path}` may only end it. */
  template: `/${string}`;
  summary: string;
  description?: string;
  /**
   * The policy action, for the document and for callers. Vault use cases check their own; a
   * route outside the Vault (GET /metrics) checks in its handler.
   */
  action: A;
  /** The query's schema, built on first use (schemas.ts `once`): a cold start builds none. */
  query: () => Q;
  /** PUT and POST routes parse their JSON body with this (built on first use, like `query`). */
  body?: () => B;
  /** Success statuses and their bodies. */
  responses: Record<number, ResponseSpec>;
  /**
   * Error statuses this route answers beyond those every route of its kind can: 400, 401, 403,
   * 500 and 503 for signed routes, plus 413 and 415 for PUT and POST (openapi.ts adds those).
   */
  errors: readonly ErrorStatus[];
  /** Served by the long-running server only: Lambda's API Gateway has no route for it. */
  serverOnly?: true;
  handle(
    input: RouteInput<A, z.output<Q>, B extends z.ZodMiniType ? z.output<B> : undefined>,
    deps: RouteDeps,
  ): Promise<Reply>;
}

/** Declares a route with its types inferred from its schemas. */
export function defineRoute<
  A extends RouteAction,
  Q extends z.ZodMiniType,
  B extends z.ZodMiniType | undefined = undefined,
>(spec: RouteSpec<A, Q, B>): RouteSpec {
  return spec as unknown as RouteSpec;
}

/** The part of a template before `{path}`, or undefined when it has no path parameter. */
export function pathPrefix(template: string): string | undefined {
  return template.endsWith('/{path}') ? template.slice(0, -'{path}'.length) : undefined;
}

/**
 * What a template matches, as express mounts it: a template ending in `{path}` is its prefix
 * followed by anything, with no parameter (the router would decode a parameter, and throw on
 * `%ff`, while handlers read the raw path, which path validation then judges like any other);
 * any other template is itself, exactly.
 */
export function routeMatcher(template: string): string | RegExp {
  const prefix = pathPrefix(template);
  return prefix ? new RegExp(`^${prefix.replace(/[.]/g, '\\.')}.+$`) : template;
}
