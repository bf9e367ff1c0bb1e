import { createLambdaFront } from '../../src/adapters/http/lambda-front';
import { testApp } from '../support/app';
import { dynamo, stopDynamo } from '../support/dynamo';
import { ADMIN } from '../support/fakes';
import { type GatewayResult, httpApiEvent, restApiEvent, resultHeaders } from '../support/lambda-events';

// What only the Lambda front does: read events (lambda-parity.test.ts holds its answers to those
// of the express app).

afterAll(stopDynamo);
beforeAll(() => dynamo());

const SECRET = '/v1/secrets/team/a';
const JSON_TYPE = { 'content-type': 'application/json' };

async function lambdaFront() {
  const t = await testApp({ trail: {} });
  const front = createLambdaFront({ vault: t.vault, logger: t.logger, policy: { rules: [] } });
  const call = async (event: unknown) => {
    const result = (await front(event)) as GatewayResult;
    const headers = resultHeaders(result);
    return { ...result, headers, json: result.body ? JSON.parse(result.body) : undefined };
  };
  return { t, call };
}

describe('the Lambda front', () => {
  it("records API Gateway's request id and the stated purpose on the trail; a malformed id is not ours", async () => {
    const { t, call } = await lambdaFront();
    const body = Buffer.from(JSON.stringify({ value: 'v' }));
    expect(
      (await call(httpApiEvent({ method: 'PUT', path: SECRET, headers: JSON_TYPE, body, caller: ADMIN }))).statusCode,
    ).toBe(201);
    // API Gateway's ids are [A-Za-z0-9=_.:/-]; ours must also be fit for a log field.
    const read = await call(
      restApiEvent({
        method: 'GET',
        path: SECRET,
        caller: ADMIN,
        requestId: 'Ab1/Cd2=',
        headers: { 'X-Vault-Purpose': 'order 1842' },
      }),
    );
    expect(read.statusCode).toBe(200);
    expect(read.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    t.clock.advance(1000);
    const history = await call(httpApiEvent({ method: 'GET', path: '/v1/audit/team/a', caller: ADMIN }));
    const records = (history.json as { items: Array<Record<string, unknown>> }).items;
    expect(records.find((record) => record.action === 'read')).toMatchObject({
      requestId: read.headers['x-request-id'],
      gatewayRequestId: 'Ab1/Cd2=',
      purpose: 'order 1842',
    });
    expect(t.logger.records.filter((record) => record.type === 'request').length).toBe(3);
  });

  it("escapes a decoded '?' or '#' an HTTP API leaves in rawPath: a path, never a query", async () => {
    const { call } = await lambdaFront();
    for (const path of ['/v1/secrets/team/a?version=1', '/v1/secrets/team/a#x', '/v1/metadata?prefix=team']) {
      const result = await call(httpApiEvent({ method: 'GET', path, caller: ADMIN }));
      expect({ path, status: result.statusCode, code: result.json.error.code }).toEqual({
        path,
        status: path.startsWith('/v1/metadata') ? 404 : 400,
        code: path.startsWith('/v1/metadata') ? 'not_found' : 'validation_error',
      });
    }
  });

  it('reads a REST event without multiValueHeaders as Node would read the same headers', async () => {
    const { call } = await lambdaFront();
    const event = {
      ...restApiEvent({ method: 'PUT', path: SECRET, caller: ADMIN, body: Buffer.from('{"value":"v"}') }),
      multiValueHeaders: null,
      // Node keeps the first of a repeated Content-Type.
      headers: { 'content-type': 'text/plain', 'Content-Type': 'application/json' },
    };
    expect((await call(event)).statusCode).toBe(415);
  });

  it('answers payload 2.0 with headers and payload 1.0 with multiValueHeaders', async () => {
    const { call } = await lambdaFront();
    const v2 = await call(httpApiEvent({ method: 'GET', path: '/healthz' }));
    expect(v2.multiValueHeaders).toBeUndefined();
    expect(v2).toMatchObject({ statusCode: 200, isBase64Encoded: false, json: { status: 'ok' } });
    const v1 = await call(restApiEvent({ method: 'GET', path: '/healthz' }));
    expect(v1.multiValueHeaders).toEqual({
      'cache-control': ['no-store'],
      'x-request-id': [v1.headers['x-request-id']],
      'content-type': ['application/json; charset=utf-8'],
      'content-length': ['15'],
    });
  });

  it('refuses an event that is not from API Gateway or a function URL', async () => {
    const front = createLambdaFront({ ...(await testApp()), policy: { rules: [] } });
    for (const event of [undefined, null, {}, { Records: [] }, 'GET /healthz'])
      await expect(front(event)).rejects.toThrow('not an API Gateway or function URL event');
  });
});
