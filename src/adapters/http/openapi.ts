import * as z from 'zod/mini';
import { MAX_PATH_LENGTH, MAX_SEGMENTS } from '../../core/paths';
import type { ResponseSpec, RouteSpec } from './route-spec';
import { ROUTES } from './routes';
import { components } from './schemas';
import { ERROR_DESCRIPTIONS, type ErrorStatus, type ViewSchemas, viewSchemas } from './view-schemas';

type Json = Record<string, unknown>;

const SCHEMA_REF = '#/components/schemas/';
const JSON_SCHEMA = { target: 'draft-2020-12', io: 'input' } as const;

/** Every signed route can answer these; PUT and POST add the body's two. */
const SIGNED_ERRORS: readonly ErrorStatus[] = [400, 401, 403, 500, 503];
const BODY_ERRORS: readonly ErrorStatus[] = [413, 415];
/** What the HTTP server of `npm start` answers itself, on any route, before express sees the request. */
const SERVER_ERRORS: readonly ErrorStatus[] = [408, 417, 431];

const SEGMENT = '[A-Za-z0-9][A-Za-z0-9._-]{0,127}';

/** A JSON Schema for OpenAPI: `$schema` and the registry's `$id` say nothing inside the document. */
function clean(schema: Json): Json {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

/** Bodies are named schemas (schemas.ts `named`), so the document describes each once. */
function schemaOf(schema: z.ZodMiniType): Json {
  const id = components.get(schema)?.id;
  if (!id) throw new Error('a request or response body schema must be registered with named() in schemas.ts');
  return { $ref: `${SCHEMA_REF}${id}` };
}

function queryParameters(query: z.ZodMiniType): Json[] {
  const described = z.toJSONSchema(query, JSON_SCHEMA) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(described.properties ?? {}).map(([name, property]) => {
    const { description, ...schema } = property;
    return {
      name,
      in: 'query',
      required: described.required?.includes(name) ?? false,
      ...(typeof description === 'string' && { description }),
      schema,
    };
  });
}

function successResponse(spec: ResponseSpec, views: ViewSchemas): Json {
  return {
    description: spec.description,
    headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } },
    ...(spec.contentType || spec.schema
      ? {
          content: {
            [spec.contentType ?? 'application/json']: spec.schema ? { schema: schemaOf(spec.schema(views)) } : {},
          },
        }
      : {}),
  };
}

function operation(route: RouteSpec, views: ViewSchemas): Json {
  const signed = route.action !== 'public';
  const hasBody = route.method === 'put' || route.method === 'post';
  const errors = new Set<ErrorStatus>([
    ...(signed ? SIGNED_ERRORS : []),
    ...(signed && hasBody ? BODY_ERRORS : []),
    ...route.errors,
    ...SERVER_ERRORS,
  ]);
  const responses: Json = {};
  for (const [status, spec] of Object.entries(route.responses)) responses[status] = successResponse(spec, views);
  for (const status of [...errors].sort())
    responses[String(status)] = { $ref: `#/components/responses/Error${status}` };
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description && { description: route.description }),
    ...(signed ? { 'x-kms-vault-action': route.action } : { security: [] }),
    ...(route.serverOnly && { 'x-kms-vault-server-only': true }),
    parameters: [
      ...(route.template.endsWith('{path}') ? [{ $ref: '#/components/parameters/SecretPath' }] : []),
      ...queryParameters(route.query()),
    ],
    ...(route.body && {
      requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body()!) } } },
    }),
    responses,
  };
}

function errorResponses(views: ViewSchemas): Json {
  const out: Json = {};
  for (const [status, schema] of Object.entries(views.errorSchemas)) {
    const code = Number(status) as ErrorStatus;
    out[`Error${code}`] = {
      description: ERROR_DESCRIPTIONS[code],
      headers: {
        'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
        ...(code === 503 && { 'Retry-After': { $ref: '#/components/headers/Retry-After' } }),
      },
      content: { 'application/json': { schema: schemaOf(schema) } },
    };
  }
  return out;
}

/**
 * The OpenAPI 3.1 document of `routes` (the table express serves), with the named schemas the
 * routes use. `npm run openapi` writes it to docs/openapi.json; a test fails when they drift.
 */
export function openApiDocument(routes: readonly RouteSpec[] = ROUTES): Json {
  // Every response schema is registered in `components` once built, before the registry is read.
  const views = viewSchemas();
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    paths[route.template] ??= {};
    paths[route.template]![route.method] = operation(route, views);
  }
  const schemas = z.toJSONSchema(components, { ...JSON_SCHEMA, uri: (id) => `${SCHEMA_REF}${id}` }).schemas;
  return {
    openapi: '3.1.0',
    info: {
      title: 'kms-vault',
      version: 'v1',
      description:
        'A secrets vault: every value is sealed with AES-256-GCM under a fresh KMS data key. Callers sign every request but /healthz and /openapi.json with AWS Signature Version 4 (service execute-api). Every response carries Cache-Control: no-store and X-Request-Id.',
    },
    servers: [{ url: 'http://127.0.0.1:8080', description: 'embedded mode (npm start)' }],
    security: [{ sigv4: [] }],
    paths,
    components: {
      schemas: Object.fromEntries(
        Object.entries(schemas)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([id, schema]) => [id, clean(schema as Json)]),
      ),
      responses: errorResponses(views),
      parameters: {
        SecretPath: {
          name: 'path',
          in: 'path',
          required: true,
          description: `The secret path, sent as is: 1 to ${MAX_SEGMENTS} segments joined by '/' (not percent-encoded), at most ${MAX_PATH_LENGTH} characters. Percent-encoded forms, '..', empty segments and trailing slashes are refused (400).`,
          schema: {
            type: 'string',
            maxLength: MAX_PATH_LENGTH,
            pattern: `^${SEGMENT}(/${SEGMENT}){0,${MAX_SEGMENTS - 1}}$`,
          },
        },
      },
      headers: {
        'X-Request-Id': {
          description: "The vault's id for this request (on Lambda, API Gateway's request id)",
          schema: { type: 'string' },
        },
        'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
      },
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description:
            "AWS Signature Version 4 over the request (service execute-api, the vault's region), with host and x-amz-date signed. On AWS, API Gateway verifies it (IAM authorisation); in server mode the vault does, against its credentials file.",
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
  };
}
