import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { openApiDocument } from '../../src/adapters/http/openapi';
import { ROUTES } from '../../src/adapters/http/routes';
import { openApiText } from '../../src/adapters/http/write-openapi';

const ROOT = resolve(__dirname, '../..');
const COMMITTED = join(ROOT, 'docs/openapi.json');
const run = promisify(execFile);

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
  components: {
    schemas: Record<string, { properties?: Record<string, { properties?: Record<string, unknown> }> }>;
    securitySchemes: Record<string, unknown>;
  };
};
const doc = openApiDocument() as unknown as Doc;

describe('OpenAPI document (docs/openapi.json)', () => {
  it('is what the route table generates: rerun `npm run openapi` after changing a route or schema', () => {
    expect(readFileSync(COMMITTED, 'utf8')).toBe(openApiText());
  });

  it('is valid OpenAPI 3.1 by an independent validator (@seriousme/openapi-schema-validator), refs resolved', async () => {
    const cli = join(ROOT, 'node_modules/@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
    const { stdout } = await run(process.execPath, [cli, COMMITTED]);
    expect(JSON.parse(stdout)).toEqual({ valid: true });
    // The validator does fail a broken document (so the pass above means something).
    const dir = mkdtempSync(join(tmpdir(), 'kms-vault-openapi-'));
    try {
      const broken = JSON.parse(openApiText());
      broken.paths['/healthz'].get.responses['200'] = { $ref: '#/components/responses/Nope' };
      writeFileSync(join(dir, 'broken.json'), JSON.stringify(broken));
      await expect(run(process.execPath, [cli, join(dir, 'broken.json')])).rejects.toMatchObject({ code: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('describes every route, parameter and error code the README lists, with the SigV4 scheme', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const api = readme.slice(readme.indexOf('## HTTP API'), readme.indexOf('### Paths'));
    const routes = [...api.matchAll(/^\| `(GET|PUT|POST|DELETE) ([^`\s[?]+)([^`]*)`/gm)];
    expect(routes.length).toBeGreaterThanOrEqual(10);
    const seen = new Set<string>();
    for (const [, method, template, query] of routes) {
      const operation = doc.paths[template!]?.[method!.toLowerCase()] as
        | { parameters: Array<{ name?: string; $ref?: string }> }
        | undefined;
      expect({ route: `${method} ${template}`, described: operation !== undefined }).toEqual({
        route: `${method} ${template}`,
        described: true,
      });
      const names = operation!.parameters.map((p) => p.name ?? p.$ref);
      const params = [...query!.matchAll(/[?&](\w+)=/g)].map((m) => m[1]!);
      for (const param of params) {
        expect({ route: `${method} ${template}`, param, described: names.includes(param) }).toEqual({
          route: `${method} ${template}`,
          param,
          described: true,
        });
        seen.add(param);
      }
      if (template!.includes('{path}')) expect(names).toContain('#/components/parameters/SecretPath');
    }
    expect([...seen].sort()).toEqual(
      ['cas', 'cursor', 'flagged', 'limit', 'prefix', 'rotationDue', 'since', 'until', 'version', 'versions'].sort(),
    );
    const errors = readme.slice(readme.indexOf('### Errors'), readme.indexOf('## Secret lifecycle'));
    const documented = Object.entries(doc.components.schemas)
      .filter(([id]) => id.startsWith('Error'))
      .flatMap(([, schema]) => (schema.properties!.error!.properties!.code as { enum: string[] }).enum);
    for (const [, status, codes] of errors.matchAll(/^\| (\d{3}) +\| ([^|]+)\|/gm)) {
      for (const [, code] of codes!.matchAll(/`([a-z_]+)`/g)) {
        expect({ status, code, described: documented.includes(code!) }).toEqual({ status, code, described: true });
      }
    }
    expect(doc.components.securitySchemes.sigv4).toEqual(
      expect.objectContaining({
        type: 'apiKey',
        in: 'header',
        name: 'Authorization',
        'x-amazon-apigateway-authtype': 'awsSigv4',
      }),
    );
  });

  it('every route of the table is in the document, public ones without security', () => {
    for (const route of ROUTES) {
      const operation = doc.paths[route.template]?.[route.method];
      expect(operation).toBeDefined();
      if (route.action === 'public') expect(operation!.security).toEqual([]);
      else expect(operation!.security).toBeUndefined();
      for (const status of Object.keys(route.responses)) expect(operation!.responses[status]).toBeDefined();
    }
  });
});
