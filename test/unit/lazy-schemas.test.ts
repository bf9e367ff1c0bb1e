import * as z from 'zod/mini';
import type * as RoutesModule from '../../src/adapters/http/routes';
import type * as SchemasModule from '../../src/adapters/http/schemas';

/**
 * Request schemas are built on first use (schemas.ts `once`), so a Lambda cold start that
 * serves a read never builds the write and lifecycle schemas. These tests load the modules
 * fresh and look at what the OpenAPI registry holds: a schema built at module load shows up
 * there before any route asked for it.
 */
function fresh(): { routes: typeof RoutesModule; schemas: typeof SchemasModule } {
  let loaded: { routes: typeof RoutesModule; schemas: typeof SchemasModule } | undefined;
  jest.isolateModules(() => {
    loaded = {
      // The two fronts load the table the same way; lambda-front.ts is what a cold start loads.
      routes: require('../../src/adapters/http/routes') as typeof RoutesModule,
      schemas: require('../../src/adapters/http/schemas') as typeof SchemasModule,
    };
    require('../../src/adapters/http/lambda-front');
  });
  return loaded!;
}

const registered = (schemas: typeof SchemasModule) =>
  Object.keys(z.toJSONSchema(schemas.components, { target: 'draft-2020-12' }).schemas).sort();

const route = (routes: typeof RoutesModule, operationId: string) =>
  routes.ROUTES.find((r) => r.operationId === operationId)!;

describe('request schemas are built on first use', () => {
  it('loading the route table and the Lambda front builds none', () => {
    const { schemas } = fresh();
    expect(registered(schemas)).toEqual([]);
  });

  it("a read builds its query's schema and nothing a write needs", () => {
    const { routes, schemas } = fresh();
    const query = route(routes, 'getSecret').query();
    expect(query.safeParse({ version: '3' })).toEqual({ success: true, data: { version: 3 } });
    expect(registered(schemas)).toEqual([]);
  });

  it('a write builds its body schema once, with the parts it names, and hands out the same object after', () => {
    const { routes, schemas } = fresh();
    const put = route(routes, 'putSecret');
    const body = put.body!()!;
    expect(put.body!()).toBe(body);
    expect(registered(schemas)).toEqual(['JsonValue', 'Labels', 'PutSecretRequest', 'SecretValue']);
    expect(body.safeParse({ value: { a: [1, { b: null }] }, labels: { team: 'a' } }).success).toBe(true);
    expect(body.safeParse({ value: { a: 1 }, extra: true }).success).toBe(false);
  });
});
