import { randomUUID } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';

const ACCOUNT = '111122223333';

/** One HTTP request as a client sent it, for building the event API Gateway would pass on. */
export interface GatewayRequest {
  method: string;
  /** The path exactly as sent (REST APIs and function URLs pass it on still percent-encoded). */
  path: string;
  /** The query string as sent, without '?'. */
  query?: string;
  /** As the client sent them (names in any case, one value each). */
  headers?: Record<string, string>;
  body?: Buffer;
  /** Pass the body base64-encoded, as API Gateway does for binary media types. */
  base64?: boolean;
  /** The IAM ARN API Gateway verified; undefined for an unsigned request. */
  caller?: string;
  /** API Gateway's request id; default a fresh UUID. */
  requestId?: string;
}

/** API Gateway's decoded query parameters: each name with all its values, in order. */
function multiValueQuery(query: string | undefined): Record<string, string[]> | null {
  if (!query) return null;
  return Object.fromEntries(
    Object.entries(parseQuery(query)).map(([name, value]) => [name, Array.isArray(value) ? value : [value ?? '']]),
  );
}

function bodyOf(request: GatewayRequest): { body: string | null; isBase64Encoded: boolean } {
  if (request.body === undefined) return { body: null, isBase64Encoded: false };
  return request.base64
    ? { body: request.body.toString('base64'), isBase64Encoded: true }
    : { body: request.body.toString('utf8'), isBase64Encoded: false };
}

/** A REST API (payload 1.0) proxy event for a `{path+}` resource with AWS_IAM authorisation. */
export function restApiEvent(request: GatewayRequest) {
  const host = 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com';
  const headers: Record<string, string> = { Host: host, ...request.headers };
  const match = /^\/v1\/([a-z-]+)\/(.+)$/.exec(request.path);
  const resource = match ? `/v1/${match[1]}/{path+}` : request.path;
  const query = multiValueQuery(request.query);
  return {
    resource,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: query && Object.fromEntries(Object.entries(query).map(([name, all]) => [name, all.at(-1)])),
    multiValueQueryStringParameters: query,
    pathParameters: match ? { path: match[2] } : null,
    stageVariables: null,
    requestContext: {
      resourceId: 'x1y2z3',
      resourcePath: resource,
      httpMethod: request.method,
      extendedRequestId: 'Ab12Cd34Ef56Gh78=',
      requestTime: new Date().toUTCString(),
      path: `/dev${request.path}`,
      accountId: ACCOUNT,
      protocol: 'HTTP/1.1',
      stage: 'dev',
      domainPrefix: 'a1b2c3d4e5',
      requestTimeEpoch: Date.now(),
      requestId: request.requestId ?? randomUUID(),
      identity: {
        cognitoIdentityPoolId: null,
        cognitoIdentityId: null,
        apiKey: null,
        principalOrgId: null,
        cognitoAuthenticationType: null,
        userArn: request.caller ?? null,
        apiKeyId: null,
        userAgent: 'test',
        accountId: request.caller ? ACCOUNT : null,
        caller: request.caller ? 'AROAEXAMPLEID:session' : null,
        sourceIp: '10.1.2.3',
        accessKey: request.caller ? 'ASIAEXAMPLE' : null,
        cognitoAuthenticationProvider: null,
        user: request.caller ? 'AROAEXAMPLEID:session' : null,
      },
      domainName: host,
      apiId: 'a1b2c3d4e5',
    },
    ...bodyOf(request),
  };
}

/** A payload 2.0 event, as an HTTP API with an IAM authorizer or an AWS_IAM function URL sends it. */
export function httpApiEvent(request: GatewayRequest) {
  const host = 'f6g7h8i9j0.execute-api.eu-west-1.amazonaws.com';
  const headers: Record<string, string> = { host };
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    const lower = name.toLowerCase();
    headers[lower] = headers[lower] === undefined ? value : `${headers[lower]},${value}`;
  }
  const query = multiValueQuery(request.query);
  const { body, isBase64Encoded } = bodyOf(request);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString: request.query ?? '',
    headers,
    ...(query && {
      queryStringParameters: Object.fromEntries(Object.entries(query).map(([name, all]) => [name, all.join(',')])),
    }),
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'f6g7h8i9j0',
      ...(request.caller && {
        authorizer: {
          iam: {
            accessKey: 'ASIAEXAMPLE',
            accountId: ACCOUNT,
            callerId: 'AROAEXAMPLEID:session',
            cognitoIdentity: null,
            principalOrgId: null,
            userArn: request.caller,
            userId: 'AROAEXAMPLEID:session',
          },
        },
      }),
      domainName: host,
      domainPrefix: 'f6g7h8i9j0',
      http: {
        method: request.method,
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: '10.1.2.3',
        userAgent: 'test',
      },
      requestId: request.requestId ?? randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(body !== null && { body }),
    isBase64Encoded,
  };
}

/** What the Lambda front answers, either payload version. */
export interface GatewayResult {
  statusCode: number;
  body: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  isBase64Encoded: boolean;
}

/** A result's headers, one value each, names in lower case. */
export function resultHeaders(result: GatewayResult): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) out[name.toLowerCase()] = value;
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
    out[name.toLowerCase()] = values.join(',');
  return out;
}
