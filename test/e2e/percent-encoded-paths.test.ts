import type { AddressInfo } from 'node:net';
import { listen } from '../../src/adapters/http/listen';
import { testApp } from '../support/app';
import { dynamo, stopDynamo } from '../support/dynamo';
import { expectErrorBody } from '../support/error-body';
import { send } from '../support/raw-http';

afterAll(stopDynamo);
beforeAll(() => dynamo());

/** Every route with a `{path}`. */
const PATH_ROUTES: Array<[string, string]> = [
  ['PUT', '/v1/secrets/'],
  ['GET', '/v1/secrets/'],
  ['DELETE', '/v1/secrets/'],
  ['GET', '/v1/metadata/'],
  ['DELETE', '/v1/metadata/'],
  ['POST', '/v1/undelete/'],
  ['POST', '/v1/destroy/'],
  ['POST', '/v1/rewrap/'],
];
/** Percent sequences decodeURIComponent throws on: invalid hex, truncated, overlong or lone UTF-8. */
const MALFORMED = ['a%ff', 'a%', 'a%zz', 'a%c0%ae', 'a%E9', 'ok/a%ff/b', '%', 'a%2', 'a%%41'];

describe('malformed percent-encoding in a path is a 400, never a 500', () => {
  const cases = PATH_ROUTES.flatMap(([method, prefix]) => MALFORMED.map((tail) => [method, prefix, tail] as const));

  it.each(cases)('%s %s%s answers 400 validation_error and stores nothing', async (method, prefix, tail) => {
    const t = await testApp();
    const api = t.as();
    const url = `${prefix}${tail}`;
    const body = prefix === '/v1/secrets/' ? { value: 'x' } : prefix === '/v1/rewrap/' ? {} : { versions: [1] };
    const res =
      method === 'PUT'
        ? await api.put(url, body)
        : method === 'POST'
          ? await api.post(url, body)
          : method === 'GET'
            ? await api.get(url)
            : await api.delete(url);
    expectErrorBody(res, 400, 'validation_error');
    expect(res.body.error.message).toMatch(/^invalid path/);
    expect(await t.scan()).toEqual([]);
    expect(t.logger.records.filter((r) => r.type === 'error')).toEqual([]);
  });

  it('the same paths without identity are 401', async () => {
    const t = await testApp();
    const { server } = await listen(t.app, 0, '127.0.0.1');
    try {
      const { port } = server.address() as AddressInfo;
      for (const [method, prefix] of PATH_ROUTES) {
        for (const tail of MALFORMED) {
          expectErrorBody(await send(port, { method, target: `${prefix}${tail}` }), 401, 'unauthenticated');
        }
      }
    } finally {
      server.close();
    }
  });
});
