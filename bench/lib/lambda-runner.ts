import { type ChildProcess, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpApiEvent as gatewayEvent } from '../../test/support/lambda-events';

/**
 * Runs the built Lambda bundle the way a Lambda container does: a fresh node process loads it
 * once (module init, timed inside the process from before `require` to after it), then invokes
 * its handler once per event. The runner is plain JavaScript, without tsx, so nothing but the
 * bundle is loaded. Timings are taken inside the runner, so IPC is not in them.
 */
const RUNNER = `'use strict';
const started = process.hrtime.bigint();
const { handler } = require(process.argv[2]);
const initMs = Number(process.hrtime.bigint() - started) / 1e6;
const since = (t) => Number(process.hrtime.bigint() - t) / 1e6;
const { randomUUID } = require('node:crypto');
let invocations = 0;
const context = () => ({
  awsRequestId: 'bench-' + ++invocations,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  memoryLimitInMB: '1024',
  logGroupName: '/aws/lambda/' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  logStreamName: '2026/01/01/[$LATEST]0123456789abcdef',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 15000,
});
// A fresh copy per invocation, with its own request id, as API Gateway sends it.
const fresh = (event) => {
  const copy = structuredClone(event);
  copy.requestContext.requestId = randomUUID();
  return copy;
};
process.on('message', async (m) => {
  try {
    if (m.type === 'invoke') {
      const event = fresh(m.event);
      const t = process.hrtime.bigint();
      const result = await handler(event, context());
      process.send({ type: 'result', ms: since(t), result });
    } else if (m.type === 'loop') {
      const times = [];
      for (let i = 0; i < m.count; i++) {
        const event = fresh(m.event);
        const t = process.hrtime.bigint();
        const result = await handler(event, context());
        times.push(since(t));
        if (result.statusCode !== m.expectStatus) throw new Error('HTTP ' + result.statusCode + ' ' + result.body);
      }
      process.send({ type: 'loop', times });
    }
  } catch (error) {
    process.send({ type: 'error', error: String((error && error.stack) || error) });
  }
});
process.send({ type: 'ready', initMs });
`;

export interface LambdaResult {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

export interface LambdaProcess {
  /** Module init: `require` of the bundle, ms. */
  initMs: number;
  /** One invocation; `ms` is the handler's time in the runner. */
  invoke(event: unknown): Promise<{ ms: number; result: LambdaResult }>;
  /** `count` sequential invocations of `event`; each must answer `expectStatus`. Returns each one's ms. */
  loop(event: unknown, count: number, expectStatus: number): Promise<number[]>;
  /** What the process wrote to stderr (and stdout, minus the vault's JSON log lines). */
  output(): string;
  stop(): Promise<void>;
}

export function writeRunner(dir: string): string {
  const file = join(dir, 'lambda-runner.js');
  writeFileSync(file, RUNNER);
  return file;
}

type Message =
  | { type: 'ready'; initMs: number }
  | { type: 'result'; ms: number; result: LambdaResult }
  | { type: 'loop'; times: number[] }
  | { type: 'error'; error: string };

/** Starts a fresh runner process on `bundleFile` and waits until the bundle is loaded. */
export async function startLambdaProcess(
  runnerFile: string,
  bundleFile: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<LambdaProcess> {
  const child: ChildProcess = fork(runnerFile, [bundleFile], {
    cwd,
    env,
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  // The vault logs a JSON line per request to stdout, as on Lambda (to CloudWatch); read and drop them.
  child.stdout!.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line && !line.startsWith('{')) output += `${line}\n`;
  });
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  let waiter: ((m: Message) => void) | undefined;
  let exited: Error | undefined;
  child.on('message', (m: Message) => {
    const w = waiter;
    waiter = undefined;
    w?.(m);
  });
  child.on('exit', (code, signal) => {
    exited = new Error(`the Lambda runner exited (code ${code}, signal ${signal}):\n${output}`);
    const w = waiter;
    waiter = undefined;
    w?.({ type: 'error', error: exited.message });
  });
  const next = (timeoutMs: number) =>
    new Promise<Message>((resolve, reject) => {
      if (exited) return reject(exited);
      const timer = setTimeout(
        () => reject(new Error(`the Lambda runner did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      waiter = (m) => {
        clearTimeout(timer);
        if (m.type === 'error') reject(new Error(m.error));
        else resolve(m);
      };
    });
  const ready = await next(30_000);
  if (ready.type !== 'ready') throw new Error(`unexpected message ${ready.type} from the Lambda runner`);
  return {
    initMs: ready.initMs,
    invoke: async (event) => {
      const answer = next(30_000);
      child.send({ type: 'invoke', event });
      const m = await answer;
      if (m.type !== 'result') throw new Error(`unexpected message ${m.type} from the Lambda runner`);
      return { ms: m.ms, result: m.result };
    },
    loop: async (event, count, expectStatus) => {
      const answer = next(300_000);
      child.send({ type: 'loop', event, count, expectStatus });
      const m = await answer;
      if (m.type !== 'loop') throw new Error(`unexpected message ${m.type} from the Lambda runner`);
      return m.times;
    },
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

/**
 * An HTTP API (payload 2.0) event with an IAM authorizer, as API Gateway sends it after
 * verifying the caller's SigV4 signature (the tests' builder, test/support/lambda-events.ts),
 * with the headers an SDK caller behind API Gateway sends, so the handler parses what it would.
 */
export function httpApiEvent(request: { method: 'GET' | 'PUT'; path: string; caller: string; body?: unknown }) {
  return gatewayEvent({
    method: request.method,
    path: request.path,
    caller: request.caller,
    headers: {
      accept: 'application/json',
      'user-agent': 'aws-sdk-js/3 trading-engine/1.4.2',
      'x-amz-date': '20260101T120000Z',
      'x-amzn-trace-id': 'Root=1-67890abc-0123456789abcdef01234567',
      ...(request.body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(request.body !== undefined && { body: Buffer.from(JSON.stringify(request.body)) }),
  });
}
