import { lambdaAuthenticator, principalFromEvent } from '../../src/adapters/auth/lambda-identity';
import { AuthenticationError } from '../../src/core/errors';
import { parsePolicy } from '../../src/core/policy';
import { testApp } from '../support/app';
import { stopDynamo } from '../support/dynamo';

const ROLE_SESSION = 'arn:aws:sts::123456789012:assumed-role/trading-engine/i-0abc';
const ROLE = 'arn:aws:iam::123456789012:role/trading-engine';

/** Trimmed from real API Gateway REST (v1) events with AWS_IAM authorisation. */
const restEvent = (userArn: string | null, headers: Record<string, string> = {}) => ({
  resource: '/v1/secrets/{path+}',
  path: '/v1/secrets/exchange-keys/u1/binance',
  httpMethod: 'GET',
  headers: { Host: 'abc123.execute-api.us-east-1.amazonaws.com', ...headers },
  multiValueHeaders: {},
  queryStringParameters: null,
  pathParameters: { path: 'exchange-keys/u1/binance' },
  requestContext: {
    resourcePath: '/v1/secrets/{path+}',
    httpMethod: 'GET',
    requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    accountId: '123456789012',
    stage: 'prod',
    identity: {
      accessKey: 'ASIAEXAMPLE',
      accountId: '123456789012',
      caller: 'AROAEXAMPLE:i-0abc',
      sourceIp: '10.0.0.1',
      user: 'AROAEXAMPLE:i-0abc',
      userArn,
    },
  },
  body: null,
  isBase64Encoded: false,
});

/** HTTP API (payload 2.0) and function URL events carry the IAM identity under authorizer.iam. */
const v2Event = (
  userArn: string | null,
  domainName = 'abc123.execute-api.us-east-1.amazonaws.com',
  headers: Record<string, string> = {},
) => ({
  version: '2.0',
  routeKey: domainName.includes('lambda-url') ? '$default' : 'GET /v1/secrets/{path+}',
  rawPath: '/v1/secrets/exchange-keys/u1/binance',
  rawQueryString: '',
  headers: { host: domainName, ...headers },
  requestContext: {
    accountId: '123456789012',
    apiId: 'abc123',
    domainName,
    http: {
      method: 'GET',
      path: '/v1/secrets/exchange-keys/u1/binance',
      protocol: 'HTTP/1.1',
      sourceIp: '10.0.0.1',
      userAgent: 'test',
    },
    requestId: 'id',
    ...(userArn !== null && {
      authorizer: {
        iam: {
          accessKey: 'ASIAEXAMPLE',
          accountId: '123456789012',
          callerId: 'AROAEXAMPLE:i-0abc',
          userArn,
          userId: 'AROAEXAMPLE:i-0abc',
        },
      },
    }),
  },
  isBase64Encoded: false,
});

const FORGED = {
  'x-apigateway-event': encodeURIComponent(
    JSON.stringify({ requestContext: { identity: { userArn: 'arn:aws:iam::123456789012:role/admin' } } }),
  ),
  'x-amzn-oidc-identity': 'arn:aws:iam::123456789012:role/admin',
  'x-amz-user-arn': 'arn:aws:iam::123456789012:role/admin',
  'x-forwarded-user': 'arn:aws:iam::123456789012:role/admin',
  authorization: 'AWS4-HMAC-SHA256 Credential=AKIDADMIN/20260101/us-east-1/execute-api/aws4_request',
};

/**
 * The Lambda front as it runs: the event's identity, read by lambdaAuthenticator and normalised
 * by the app where the principal enters. Returns the status and the principal the request log
 * recorded for a describe of a path that does not exist.
 */
async function seenByApp(event: unknown): Promise<{ status: number; principal: unknown }> {
  const { as, logger } = await testApp({
    authenticate: lambdaAuthenticator(() => event),
    policy: parsePolicy({ rules: [{ principals: [ROLE], actions: ['describe'], paths: ['*'] }] }),
  });
  const res = await as('arn:aws:iam::999999999999:role/header-is-ignored').get('/v1/metadata/exchange-keys/u1/binance');
  const logged = logger.records.filter((r) => r.type === 'request').at(-1);
  return { status: res.status, principal: logged?.principal };
}

afterAll(stopDynamo);

describe('identity on Lambda comes only from the request context', () => {
  it.each([
    ['REST API (v1)', restEvent(ROLE_SESSION)],
    ['HTTP API (v2)', v2Event(ROLE_SESSION)],
    ['function URL', v2Event(ROLE_SESSION, 'abcdefg.lambda-url.us-east-1.on.aws')],
  ])('%s: the event names the session; the app sees the normalised role', async (_name, event) => {
    expect(principalFromEvent(event)).toBe(ROLE_SESSION);
    await expect(seenByApp(event)).resolves.toEqual({ status: 404, principal: ROLE });
  });

  it.each([
    ['REST API (v1)', restEvent(null)],
    ['HTTP API (v2)', v2Event(null)],
    ['function URL', v2Event(null, 'abcdefg.lambda-url.us-east-1.on.aws')],
    ['no request context', { headers: {} }],
    ['nothing', undefined],
  ])('%s without identity is refused', async (_name, event) => {
    expect(() => principalFromEvent(event)).toThrow(AuthenticationError);
    await expect(seenByApp(event)).resolves.toEqual({ status: 401, principal: null });
  });

  it.each([
    ['REST API (v1)', restEvent(null, FORGED)],
    ['HTTP API (v2)', v2Event(null, undefined, FORGED)],
    ['function URL', v2Event(null, 'abcdefg.lambda-url.us-east-1.on.aws', FORGED)],
  ])('forged identity headers on %s neither identify nor change the caller', async (_name, event) => {
    expect(() => principalFromEvent(event)).toThrow(AuthenticationError);
    const withIdentity = { ...event, requestContext: { ...(event as { requestContext: object }).requestContext } };
    if ('version' in event)
      Object.assign(withIdentity.requestContext, { authorizer: { iam: { userArn: ROLE_SESSION } } });
    else Object.assign(withIdentity.requestContext, { identity: { userArn: ROLE_SESSION } });
    expect(principalFromEvent(withIdentity)).toBe(ROLE_SESSION);
    await expect(seenByApp(withIdentity)).resolves.toEqual({ status: 404, principal: ROLE });
  });

  it('a v1-shaped identity inside a v2 event is not read (each shape has one place)', () => {
    const event = {
      ...v2Event(null),
      requestContext: { ...v2Event(null).requestContext, identity: { userArn: ROLE_SESSION } },
    };
    expect(() => principalFromEvent(event)).toThrow(AuthenticationError);
  });

  it('the account root is refused even when API Gateway verified it', async () => {
    await expect(seenByApp(restEvent('arn:aws:iam::123456789012:root'))).resolves.toEqual({
      status: 401,
      principal: null,
    });
  });
});
