import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { findSourceMap } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What a bench server child reports once it listens. */
export interface ReadyMessage<T> {
  type: 'ready';
  info: T;
}

export interface ServerChild<T> {
  info: T;
  pid: number;
  /** Sends a question to the child (see `serveUntilStopped`'s `answer`) and waits for its answer. */
  ask<R>(question: Question, timeoutMs?: number): Promise<R>;
  /** CPU time (user + system, ms) the child has used so far, as the child's own process.cpuUsage() says. */
  cpuMs(): Promise<number>;
  /** Asks the child to close its server and exit (so `--cpu-prof` can write its profile); kills it after a grace period. */
  stop(): Promise<void>;
}

const ROOT = resolve(__dirname, '..', '..');

/** A question from the parent to a server child; `type` says which. */
export type Question = { type: string } & Record<string, unknown>;

interface AskMessage {
  type: 'ask';
  id: number;
  question: Question;
}
interface AnswerMessage {
  type: 'answer';
  id: number;
  answer?: unknown;
  error?: string;
}

/**
 * Starts `file` (a TypeScript module under bench/servers) in its own Node process via tsx and
 * waits for its `ready` message. `extraExecArgv` is for profiling (`--cpu-prof`).
 */
export function startChild<T>(
  file: string,
  env: NodeJS.ProcessEnv,
  extraExecArgv: string[] = [],
  startTimeoutMs = 60_000,
): Promise<ServerChild<T>> {
  const child: ChildProcess = fork(file, [], {
    cwd: ROOT,
    env,
    execArgv: ['--import', 'tsx', ...extraExecArgv],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let nextQuestion = 1;
  const waiting = new Map<number, (answer: AnswerMessage) => void>();
  child.on('message', (message: unknown) => {
    const m = message as AnswerMessage;
    if (m.type !== 'answer') return;
    const waiter = waiting.get(m.id);
    waiting.delete(m.id);
    waiter?.(m);
  });
  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectStart(new Error(`${file} did not report ready within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      rejectStart(new Error(`${file} exited before it was ready (code ${code}, signal ${signal})`));
    };
    child.once('exit', onExit);
    child.once('error', (error) => {
      clearTimeout(timer);
      rejectStart(error);
    });
    child.on('message', (message: unknown) => {
      const m = message as ReadyMessage<T> | { type: 'error'; message: string };
      if (m.type === 'error') {
        clearTimeout(timer);
        rejectStart(new Error(`${file}: ${m.message}`));
        return;
      }
      if (m.type !== 'ready') return;
      clearTimeout(timer);
      child.off('exit', onExit);
      const ask = <R>(question: Question, timeoutMs = 30_000) =>
        new Promise<R>((resolveAsk, rejectAsk) => {
          const id = nextQuestion++;
          const timeout = setTimeout(() => {
            waiting.delete(id);
            rejectAsk(new Error(`${file} did not answer '${question.type}' within ${timeoutMs} ms`));
          }, timeoutMs);
          waiting.set(id, (answer) => {
            clearTimeout(timeout);
            if (answer.error !== undefined) rejectAsk(new Error(`${file}: ${answer.error}`));
            else resolveAsk(answer.answer as R);
          });
          child.send({ type: 'ask', id, question } satisfies AskMessage);
        });
      resolveStart({
        info: m.info,
        pid: child.pid!,
        ask,
        cpuMs: () => ask<number>({ type: 'cpu' }),
        stop: () =>
          new Promise<void>((resolveStop) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
            const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(kill);
              resolveStop();
            });
            child.send({ type: 'stop' });
          }),
      });
    });
  });
}

/**
 * With BENCH_SOURCE_MAP_DIR set (profiled runs), writes the source maps of this process's own
 * modules to `sourcemaps.<pid>.json` there: tsx turns each module into one long line, so a CPU
 * profile's positions mean nothing without them. profile-summary.ts reads the file.
 */
function writeSourceMaps(): void {
  const dir = process.env.BENCH_SOURCE_MAP_DIR;
  if (!dir) return;
  const maps: Record<string, unknown> = {};
  for (const file of Object.keys(require.cache)) {
    if (file.includes('/node_modules/')) continue;
    const map = findSourceMap(file);
    if (map) maps[pathToFileURL(file).href] = map.payload;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `sourcemaps.${process.pid}.json`), JSON.stringify(maps));
}

export interface ServeOptions {
  /** How long to let in-flight requests finish before closing (ms). */
  graceMs?: number;
  /** Answers the parent's questions other than the built-in `cpu`. */
  answer?: (question: Question) => unknown;
}

/**
 * Child side: report readiness, answer the parent's questions, and close + exit when the parent
 * says stop (or goes away). Built in: `{type: 'cpu'}` answers this process's CPU time in ms.
 */
export function serveUntilStopped<T>(info: T, close: () => Promise<void>, options: ServeOptions = {}): void {
  const { graceMs = 1000, answer } = options;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    writeSourceMaps();
    // autocannon drops its sockets at the end of a run with requests still in flight here;
    // closing dynalite under them makes it throw. Let them finish first.
    setTimeout(() => {
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    }, graceMs);
  };
  process.on('message', (message: unknown) => {
    const m = message as { type?: string } | AskMessage;
    if (m.type === 'stop') stop();
    if (m.type !== 'ask') return;
    const { id, question } = m as AskMessage;
    const reply = (body: Omit<AnswerMessage, 'type' | 'id'>) =>
      process.send!({ type: 'answer', id, ...body } satisfies AnswerMessage);
    if (question.type === 'cpu') {
      const usage = process.cpuUsage();
      reply({ answer: (usage.user + usage.system) / 1000 });
      return;
    }
    Promise.resolve()
      .then(() => {
        if (!answer) throw new Error(`no answer for '${question.type}'`);
        return answer(question);
      })
      .then(
        (value) => reply({ answer: value }),
        (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
      );
  });
  process.once('disconnect', stop);
  process.send!({ type: 'ready', info } satisfies ReadyMessage<T>);
}

/** Child side: report a start-up failure to the parent and exit. */
export function reportStartFailure(error: unknown): void {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (process.send) process.send({ type: 'error', message }, () => process.exit(1));
  else process.exit(1);
}
