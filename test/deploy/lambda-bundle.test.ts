import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { type BuiltBundle, buildLambdaBundle } from '../../bench/lambda-bundle';
import { ensureAuditTable, PATH_SHARDS } from '../../src/adapters/dynamodb/audit-table';
import { type EmbeddedDynamo, startDynalite } from '../../src/adapters/dynamodb/embedded-dynalite';
import { ensureTable } from '../../src/adapters/dynamodb/table';
import { FakeKms } from '../support/fake-kms';
import { type FakeKmsServer, serveKms } from '../support/fake-kms-server';

// The built Lambda bundle (the file serverless-esbuild ships) runs in its own node process, as
// on Lambda, with real API Gateway REST (v1), HTTP API (v2) and function URL events; DynamoDB
// is dynalite, KMS a fake speaking KMS's wire protocol (the bundle has its own SDK copy).

jest.setTimeout(60_000);

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const TRADING_ENGINE = `arn:aws:iam::${ACCOUNT}:role/trading-engine`;
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/vault-admin`;
/** What API Gateway reports for a role session: the vault must normalise it to the role. */
const TRADING_ENGINE_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/trading-engine/order-router-7`;
const ADMIN_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/vault-admin/ops-alice`;

const PATH = 'exchange-keys/user-1842/binance-main';
const SECRET_V1 = { apiKey: 'bk-live-7f3a9c', secretKey: 'sk-v1-Zq8uN2xR4tLw', passphrase: 'hunter2-v1' };
const SECRET_V2 = { apiKey: 'bk-live-7f3a9c', secretKey: 'sk-v2-Pm5yK9dE1cHs', passphrase: 'hunter2-v2' };

const VAULT_POLICY = {
  rules: [
    { principals: [TRADING_ENGINE], actions: ['read', 'describe'], paths: ['exchange-keys/*'] },
    { principals: [ADMIN], actions: ['write', 'describe'], paths: ['exchange-keys/*'] },
  ],
};

/** Headers a caller might forge to pass for the admin; none of them may name the caller. */
const FORGED_IDENTITY_HEADERS: Record<string, string> = {
  'x-amzn-iam-userarn': ADMIN,
  'x-amzn-principal-arn': ADMIN,
  'x-amzn-oidc-identity': ADMIN,
  'x-amzn-requestcontext': JSON.stringify({ identity: { userArn: ADMIN }, authorizer: { iam: { userArn: ADMIN } } }),
  'x-apigateway-event': encodeURIComponent(JSON.stringify({ requestContext: { identity: { userArn: ADMIN } } })),
  'x-forwarded-user': ADMIN,
  'x-forwarded-for': '10.0.0.1',
  'x-user-arn': ADMIN,
};

interface Request {
  method: string;
  path: string;
  /** The caller's ARN as API Gateway / Lambda would report it; undefined = unsigned request. */
  caller?: string;
  body?: unknown;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

interface LambdaResult {
  statusCode: number;
  headers?: Record<string, string>;
  /** REST (v1) responses carry their headers here. */
  multiValueHeaders?: Record<string, string[]>;
  body: string;
  isBase64Encoded?: boolean;
}

function baseHeaders(request: Request, host: string): Record<string, string> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    host,
    'user-agent': 'aws-sdk-js/3 trading-engine/1.4.2',
    'x-amz-date': '20260101T120000Z',
    'x-amzn-trace-id': 'Root=1-67890abc-0123456789abcdef01234567',
  };
  if (request.caller) {
    headers.authorization = `AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20260101/${REGION}/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;
    headers['x-amz-security-token'] = 'FwoGZXIvYXdzEXAMPLE';
  }
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  return { ...headers, ...request.headers };
}

/** An API Gateway REST API (payload 1.0) proxy event, as for `{path+}` resources with AWS_IAM. */
function restEvent(request: Request) {
  const host = 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com';
  const headers = baseHeaders(request, host);
  const match = /^\/v1\/(secrets|metadata|undelete|destroy|rewrap)\/(.+)$/.exec(request.path);
  const resource = match ? `/v1/${match[1]}/{path+}` : request.path;
  const query = request.query ?? null;
  const now = Date.now();
  return {
    resource,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: query && Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
    pathParameters: match ? { path: match[2] } : null,
    stageVariables: null,
    requestContext: {
      resourceId: 'x1y2z3',
      resourcePath: resource,
      httpMethod: request.method,
      extendedRequestId: 'Ab12Cd34Ef56Gh78=',
      requestTime: new Date(now).toUTCString(),
      path: `/dev${request.path}`,
      accountId: ACCOUNT,
      protocol: 'HTTP/1.1',
      stage: 'dev',
      domainPrefix: 'a1b2c3d4e5',
      requestTimeEpoch: now,
      requestId: randomUUID(),
      identity: {
        cognitoIdentityPoolId: null,
        cognitoIdentityId: null,
        apiKey: null,
        principalOrgId: null,
        cognitoAuthenticationType: null,
        userArn: request.caller ?? null,
        apiKeyId: null,
        userAgent: headers['user-agent'],
        accountId: request.caller ? ACCOUNT : null,
        caller: request.caller ? 'AROAEXAMPLEID:order-router-7' : null,
        sourceIp: '10.1.2.3',
        accessKey: request.caller ? 'ASIAEXAMPLE' : null,
        cognitoAuthenticationProvider: null,
        user: request.caller ? 'AROAEXAMPLEID:order-router-7' : null,
      },
      domainName: host,
      apiId: 'a1b2c3d4e5',
    },
    body: request.body === undefined ? null : JSON.stringify(request.body),
    isBase64Encoded: false,
  };
}

/** Payload 2.0, as HTTP APIs (with an IAM authorizer) and function URLs (AWS_IAM) send it. */
function v2Event(request: Request, kind: 'http-api' | 'function-url') {
  const host =
    kind === 'http-api'
      ? 'f6g7h8i9j0.execute-api.eu-west-1.amazonaws.com'
      : 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws';
  const headers = baseHeaders(request, host);
  const match = /^\/v1\/(secrets|metadata|undelete|destroy|rewrap)\/(.+)$/.exec(request.path);
  const routeKey =
    kind === 'function-url' ? '$default' : `${request.method} ${match ? `/v1/${match[1]}/{path+}` : request.path}`;
  const rawQueryString = new URLSearchParams(request.query ?? {}).toString();
  const now = Date.now();
  return {
    version: '2.0',
    routeKey,
    rawPath: request.path,
    rawQueryString,
    headers,
    ...(request.query && { queryStringParameters: request.query }),
    ...(kind === 'http-api' && match && { pathParameters: { path: match[2] } }),
    requestContext: {
      accountId: kind === 'function-url' ? 'anonymous' : ACCOUNT,
      apiId: host.split('.')[0],
      ...(request.caller && {
        authorizer: {
          iam: {
            accessKey: 'ASIAEXAMPLE',
            accountId: ACCOUNT,
            callerId: 'AROAEXAMPLEID:order-router-7',
            cognitoIdentity: null,
            principalOrgId: null,
            userArn: request.caller,
            userId: 'AROAEXAMPLEID:order-router-7',
          },
        },
      }),
      domainName: host,
      domainPrefix: host.split('.')[0],
      http: {
        method: request.method,
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: '10.1.2.3',
        userAgent: headers['user-agent'],
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
    isBase64Encoded: false,
  };
}

const RUNNER = `'use strict';
// Loads the bundle once, like a Lambda container, and invokes its handler per message.
const { handler } = require(process.argv[2]);
process.on('message', async ({ id, event }) => {
  const context = {
    awsRequestId: id,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: '1024',
    logGroupName: '/aws/lambda/' + process.env.AWS_LAMBDA_FUNCTION_NAME,
    logStreamName: '2026/01/01/[$LATEST]0123456789abcdef',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 15000,
  };
  try {
    process.send({ id, result: await handler(event, context) });
  } catch (error) {
    process.send({ id, error: String((error && error.stack) || error) });
  }
});
process.send({ ready: true });
`;

let workdir: string;
let tableName: string;
let bundle: BuiltBundle;
let dynamo: EmbeddedDynamo;
let kms: FakeKms;
let kmsServer: FakeKmsServer;
let keyArn: string;
let child: ChildProcess;
let output = '';
const pending = new Map<string, { resolve: (r: LambdaResult) => void; reject: (e: Error) => void }>();

let invocations = 0;

async function invoke(event: unknown): Promise<LambdaResult> {
  invocations += 1;
  const id = randomUUID();
  return new Promise<LambdaResult>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    child.send({ id, event });
  });
}

function json(result: LambdaResult): Record<string, unknown> {
  const text = result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body;
  return JSON.parse(text) as Record<string, unknown>;
}

function header(result: LambdaResult, name: string): string | undefined {
  return result.headers?.[name] ?? result.multiValueHeaders?.[name]?.join(', ');
}

/**
 * The request log lines, once every invocation's line has arrived: the child's stdout and its
 * IPC answers are separate channels, so a line can land after the answer it belongs to.
 */
async function settledRequestLogs(): Promise<Array<Record<string, unknown>>> {
  for (let waited = 0; requestLogs().length < invocations && waited < 5000; waited += 20)
    await new Promise((resolve) => setTimeout(resolve, 20));
  return requestLogs();
}

/** The request log lines the vault wrote to stdout (CloudWatch on Lambda). */
function requestLogs(): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((record) => record.type === 'request');
}

/** The embedded-metric-format lines on stdout (the `_aws` envelope marks them). */
function emfLines(): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * The embedded metric format's rules (CloudWatch's specification): an `_aws` object with a
 * millisecond Timestamp and CloudWatchMetrics directives, each naming a Namespace, dimension
 * sets of at most 30 keys and metrics with a Name and a Unit; every dimension key holds a
 * string at the root, every metric a number.
 */
function expectEmf(line: Record<string, unknown>): void {
  const aws = line._aws as { Timestamp: unknown; CloudWatchMetrics: unknown };
  expect(Number.isInteger(aws.Timestamp)).toBe(true);
  expect(Math.abs((aws.Timestamp as number) - Date.now())).toBeLessThan(60_000);
  const directives = aws.CloudWatchMetrics as Array<{
    Namespace: unknown;
    Dimensions: unknown;
    Metrics: Array<{ Name: unknown; Unit: unknown }>;
  }>;
  expect(directives.length).toBeGreaterThan(0);
  for (const directive of directives) {
    expect(typeof directive.Namespace).toBe('string');
    expect((directive.Namespace as string).length).toBeGreaterThan(0);
    for (const set of directive.Dimensions as string[][]) {
      expect(set.length).toBeLessThanOrEqual(30);
      for (const key of set) expect(typeof line[key]).toBe('string');
    }
    for (const metric of directive.Metrics) {
      expect(typeof metric.Name).toBe('string');
      expect(['Count', 'Milliseconds']).toContain(metric.Unit);
      expect(typeof line[metric.Name as string]).toBe('number');
    }
  }
}

beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'kms-vault-lambda-'));
  kms = new FakeKms({ region: REGION, account: ACCOUNT });
  keyArn = kms.createKey();
  [bundle, dynamo, kmsServer] = await Promise.all([
    buildLambdaBundle(workdir),
    startDynalite({ listen: 'tcp' }),
    serveKms(kms),
  ]);
  tableName = `kms-vault-test-${randomUUID().slice(0, 8)}`;
  await ensureTable(dynamo.client, tableName);
  // On Lambda the access trail is durable by default, in `<table>-audit`.
  await ensureAuditTable(dynamo.client, `${tableName}-audit`);

  const runner = join(workdir, 'runner.js');
  writeFileSync(runner, RUNNER);
  child = fork(runner, [bundle.file], {
    cwd: workdir,
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Only what Lambda would set, plus the endpoints of the local stand-ins.
    env: {
      PATH: process.env.PATH,
      AWS_LAMBDA_FUNCTION_NAME: 'kms-vault-test-api',
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'ASIATESTONLY',
      AWS_SECRET_ACCESS_KEY: 'test-only-secret',
      AWS_SESSION_TOKEN: 'test-only-token',
      AWS_CONFIG_FILE: join(workdir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(workdir, 'no-credentials'),
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint!,
      AWS_ENDPOINT_URL_KMS: kmsServer.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      VAULT_KMS_KEY_ID: keyArn,
      VAULT_KMS_MAC_KEY_ID: kms.createKey(),
      VAULT_TABLE_NAME: tableName,
      VAULT_POLICY: JSON.stringify(VAULT_POLICY),
      // No cached data keys: every read goes to (fake) KMS Decrypt with its context.
      VAULT_KEY_CACHE_MAX_AGE_SECONDS: '0',
    },
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.on('message', (message: { ready?: boolean; id?: string; result?: LambdaResult; error?: string }) => {
    if (!message.id) return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.result!);
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the bundle exited (${code}) while loading:\n${output}`)));
  });
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await exited;
  }
  await Promise.all([dynamo?.close(), kmsServer?.close()]);
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

describe('the built Lambda bundle', () => {
  it('is one file with the AWS SDK inside and nothing of embedded mode', () => {
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(Object.keys(bundle.metafile.outputs)).toHaveLength(1);
    expect(inputs.some((input) => input.includes('node_modules/@aws-sdk/client-kms/'))).toBe(true);
    expect(inputs.some((input) => input.includes('node_modules/@aws-sdk/client-dynamodb/'))).toBe(true);
    expect(inputs.filter((input) => /node_modules\/(dynalite|level[^/]*|leveldown|memdown|tsx)\//.test(input))).toEqual(
      [],
    );
    // What the Lambda never runs is stubbed out of the bundle (infra/esbuild-plugins.js), and
    // nothing of express's stack comes in by another route.
    expect(
      inputs.filter((input) =>
        /node_modules\/(body-parser|raw-body|iconv-lite|qs|send|proxy-addr|debug|@aws-sdk\/credential-provider-(node|ini|sso|process|web-identity)|@aws-sdk\/nested-clients)\//.test(
          input,
        ),
      ),
    ).toEqual([]);
    expect(inputs.filter((input) => /^src\/(server|adapters\/local-keys|adapters\/auth\/sigv4)/.test(input))).toEqual(
      [],
    );
    // The Lambda front reads API Gateway events itself: no HTTP framework or adapter is loaded.
    expect(
      inputs.filter((input) =>
        /node_modules\/(express|router|@codegenie\/serverless-express|type-is|mime-types|mime-db)\//.test(input),
      ),
    ).toEqual([]);
    expect(inputs.filter((input) => /^src\/adapters\/http\/app\.ts$/.test(input))).toEqual([]);
  });

  it('serves the OpenAPI document, built on first request', async () => {
    const result = await invoke(restEvent({ method: 'GET', path: '/openapi.json' }));
    expect(result.statusCode).toBe(200);
    const document = json(result) as { openapi?: string; paths?: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths ?? {})).toContain('/v1/secrets/{path}');
    expect(header(result, 'cache-control')).toBe('no-store');
  });

  it('answers /healthz without identity', async () => {
    const result = await invoke(restEvent({ method: 'GET', path: '/healthz' }));
    expect(result.statusCode).toBe(200);
    expect(json(result)).toEqual({ status: 'ok' });
  });

  it('serves put, get and describe from API Gateway REST (v1) events', async () => {
    const put = await invoke(
      restEvent({
        method: 'PUT',
        path: `/v1/secrets/${PATH}`,
        caller: ADMIN_SESSION,
        body: { value: SECRET_V1, labels: { exchange: 'binance' } },
      }),
    );
    expect(put.statusCode).toBe(201);
    expect(json(put)).toMatchObject({ path: PATH, version: 1, createdBy: ADMIN });
    expect(put.body).not.toContain(SECRET_V1.secretKey);
    expect(header(put, 'cache-control')).toBe('no-store');
    expect(header(put, 'content-type')).toBe('application/json; charset=utf-8');

    const get = await invoke(restEvent({ method: 'GET', path: `/v1/secrets/${PATH}`, caller: TRADING_ENGINE_SESSION }));
    expect(get.statusCode).toBe(200);
    expect(json(get)).toMatchObject({ path: PATH, version: 1, value: SECRET_V1 });

    const describe = await invoke(
      restEvent({ method: 'GET', path: `/v1/metadata/${PATH}`, caller: TRADING_ENGINE_SESSION }),
    );
    expect(describe.statusCode).toBe(200);
    expect(json(describe)).toMatchObject({ path: PATH, version: 1, labels: { exchange: 'binance' } });
    expect(describe.body).not.toContain(SECRET_V1.secretKey);
  });

  it("takes API Gateway's request id as its own, and logs a well-formed caller X-Request-Id beside it", async () => {
    const event = restEvent({
      method: 'GET',
      path: `/v1/metadata/${PATH}`,
      caller: TRADING_ENGINE_SESSION,
      headers: { 'x-request-id': 'order-router-7:trace.42' },
    });
    const gatewayId = event.requestContext.requestId;
    const result = await invoke(event);
    expect(result.statusCode).toBe(200);
    expect(header(result, 'x-request-id')).toBe(gatewayId);
    const forged = restEvent({
      method: 'GET',
      path: '/healthz',
      headers: { 'x-request-id': 'two words\n{"type":"request"}' },
    });
    await invoke(forged);
    const logs = await settledRequestLogs();
    expect(logs.find((line) => line.requestId === gatewayId)).toMatchObject({
      callerRequestId: 'order-router-7:trace.42',
      route: '/v1/metadata/{path}',
      status: 200,
    });
    const healthLine = logs.find((line) => line.requestId === forged.requestContext.requestId)!;
    expect(healthLine).toBeDefined();
    expect(healthLine.callerRequestId).toBeUndefined();
  });

  it('writes one CloudWatch embedded-metric-format line per request: requests, latency, KMS calls, cache hits', async () => {
    const before = emfLines().length;
    await invoke(restEvent({ method: 'GET', path: `/v1/secrets/${PATH}`, caller: TRADING_ENGINE_SESSION }));
    for (let waited = 0; emfLines().length === before && waited < 5000; waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const lines = emfLines();
    expect(lines.length).toBe(before + 1);
    const line = lines.at(-1)!;
    expectEmf(line);
    expect(line).toMatchObject({
      service: 'kms-vault',
      route: 'GET /v1/secrets/{path}',
      status: '200',
      Requests: 1,
      // The cache is off in this container: the read is one Decrypt, a miss.
      KmsCalls: 1,
      DataKeyCacheHits: 0,
      DataKeyCacheMisses: 1,
    });
    expect(line.Latency).toEqual(expect.any(Number));
    const directive = (line._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> })
      .CloudWatchMetrics[0]!;
    expect(directive.Namespace).toBe('kms-vault');
    expect(directive.Dimensions).toEqual([['service', 'route', 'status'], ['service']]);
    // Every request so far has its line, and no line names a path.
    expect(emfLines().length).toBe(invocations);
    expect(JSON.stringify(emfLines())).not.toContain(PATH);
  });

  it("puts each request on the durable trail, with API Gateway's request id", async () => {
    const event = restEvent({
      method: 'GET',
      path: `/v1/secrets/${PATH}`,
      caller: TRADING_ENGINE_SESSION,
      headers: { 'x-vault-purpose': 'order 1842' },
    });
    expect((await invoke(event)).statusCode).toBe(200);
    const records = [];
    for (let shard = 0; shard < PATH_SHARDS; shard++) {
      const out = await dynamo.client.send(
        new QueryCommand({
          TableName: `${tableName}-audit`,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: `${PATH}#${shard}` } },
        }),
      );
      records.push(...(out.Items ?? []));
    }
    const mine = records.filter((item) => item.gid?.S === event.requestContext.requestId);
    expect(mine.map((item) => [item.who?.S, item.act?.S, item.pur?.S, item.res?.S])).toEqual([
      [TRADING_ENGINE, 'read', 'order 1842', 'ok'],
    ]);
  });

  it('serves HTTP API (v2) events', async () => {
    const put = await invoke(
      v2Event(
        {
          method: 'PUT',
          path: `/v1/secrets/${PATH}`,
          caller: ADMIN_SESSION,
          body: { value: SECRET_V2 },
          headers: { 'content-type': 'application/json; charset=utf-8' },
        },
        'http-api',
      ),
    );
    expect(put.statusCode).toBe(200);
    expect(json(put)).toMatchObject({ version: 2 });

    const get = await invoke(
      v2Event({ method: 'GET', path: `/v1/secrets/${PATH}`, caller: TRADING_ENGINE_SESSION }, 'http-api'),
    );
    expect(get.statusCode).toBe(200);
    expect(json(get)).toMatchObject({ version: 2, value: SECRET_V2 });
    expect(header(get, 'cache-control')).toBe('no-store');

    const old = await invoke(
      v2Event(
        { method: 'GET', path: `/v1/secrets/${PATH}`, caller: TRADING_ENGINE_SESSION, query: { version: '1' } },
        'http-api',
      ),
    );
    expect(old.statusCode).toBe(200);
    expect(json(old)).toMatchObject({ version: 1, value: SECRET_V1 });

    const describe = await invoke(
      v2Event({ method: 'GET', path: `/v1/metadata/${PATH}`, caller: TRADING_ENGINE }, 'http-api'),
    );
    expect(describe.statusCode).toBe(200);
    expect(json(describe)).toMatchObject({ path: PATH, version: 2 });
  });

  it('serves function URL events', async () => {
    const path = 'exchange-keys/user-77/okx-main';
    const put = await invoke(
      v2Event(
        { method: 'PUT', path: `/v1/secrets/${path}`, caller: ADMIN, body: { value: 'okx-secret-string' } },
        'function-url',
      ),
    );
    expect(put.statusCode).toBe(201);
    const get = await invoke(
      v2Event({ method: 'GET', path: `/v1/secrets/${path}`, caller: TRADING_ENGINE_SESSION }, 'function-url'),
    );
    expect(get.statusCode).toBe(200);
    expect(json(get)).toMatchObject({ path, version: 1, value: 'okx-secret-string' });
    const describe = await invoke(
      v2Event({ method: 'GET', path: `/v1/metadata/${path}`, caller: TRADING_ENGINE_SESSION }, 'function-url'),
    );
    expect(describe.statusCode).toBe(200);
    expect(json(describe)).toMatchObject({ path, version: 1 });
  });

  it('answers 401 to events without an identity', async () => {
    for (const event of [
      restEvent({ method: 'GET', path: `/v1/secrets/${PATH}` }),
      v2Event({ method: 'GET', path: `/v1/secrets/${PATH}` }, 'http-api'),
      v2Event({ method: 'GET', path: `/v1/secrets/${PATH}` }, 'function-url'),
    ]) {
      const result = await invoke(event);
      expect(result.statusCode).toBe(401);
      expect(json(result)).toMatchObject({ error: { code: expect.any(String) } });
      expect(result.body).not.toContain(SECRET_V2.secretKey);
    }
  });

  it('never takes the principal from forged identity headers', async () => {
    // No identity in the request context, forged headers: still nobody.
    for (const event of [
      restEvent({ method: 'GET', path: `/v1/secrets/${PATH}`, headers: FORGED_IDENTITY_HEADERS }),
      v2Event({ method: 'GET', path: `/v1/secrets/${PATH}`, headers: FORGED_IDENTITY_HEADERS }, 'http-api'),
      v2Event({ method: 'GET', path: `/v1/secrets/${PATH}`, headers: FORGED_IDENTITY_HEADERS }, 'function-url'),
    ]) {
      expect((await invoke(event)).statusCode).toBe(401);
    }
    // The trading engine claiming to be the admin stays the trading engine: it may not write.
    const before = (await settledRequestLogs()).length;
    for (const event of [
      restEvent({
        method: 'PUT',
        path: `/v1/secrets/${PATH}`,
        caller: TRADING_ENGINE_SESSION,
        body: { value: 'overwritten' },
        headers: FORGED_IDENTITY_HEADERS,
      }),
      v2Event(
        {
          method: 'PUT',
          path: `/v1/secrets/${PATH}`,
          caller: TRADING_ENGINE_SESSION,
          body: { value: 'overwritten' },
          headers: FORGED_IDENTITY_HEADERS,
        },
        'function-url',
      ),
    ]) {
      expect((await invoke(event)).statusCode).toBe(403);
    }
    const logged = (await settledRequestLogs()).slice(before);
    expect(logged.map((record) => record.principal)).toEqual([TRADING_ENGINE, TRADING_ENGINE]);
    const get = await invoke(restEvent({ method: 'GET', path: `/v1/secrets/${PATH}`, caller: TRADING_ENGINE }));
    expect(json(get)).toMatchObject({ version: 2, value: SECRET_V2 });
  });

  it('called KMS only with the vault context, SigV4-signed for kms', () => {
    const generated = kms.calls.filter((call) => call.operation === 'GenerateDataKey');
    const decrypted = kms.calls.filter((call) => call.operation === 'Decrypt');
    expect(generated.length).toBeGreaterThanOrEqual(3);
    expect(decrypted.length).toBeGreaterThanOrEqual(3);
    for (const call of kms.calls) {
      expect(call.error).toBeUndefined();
      expect(call.authorization).toMatch(
        new RegExp(`^AWS4-HMAC-SHA256 Credential=ASIATESTONLY/\\d{8}/${REGION}/kms/aws4_request`),
      );
      if (call.operation === 'DescribeKey') continue;
      expect(call.keyId).toBe(keyArn);
      expect(Object.keys(call.context ?? {}).sort()).toEqual(['kms-vault:path', 'kms-vault:version']);
      expect(call.context!['kms-vault:path']).toMatch(/^exchange-keys\//);
      expect(call.context!['kms-vault:version']).toMatch(/^[1-9]\d*$/);
    }
  });

  it('wrote no secret value to its logs', async () => {
    expect((await settledRequestLogs()).length).toBeGreaterThan(10);
    for (const secret of [
      SECRET_V1.secretKey,
      SECRET_V1.passphrase,
      SECRET_V2.secretKey,
      SECRET_V2.passphrase,
      'okx-secret-string',
    ]) {
      expect(output).not.toContain(secret);
    }
  });
});
