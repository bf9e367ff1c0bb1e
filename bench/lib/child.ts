import { type ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';

/** What a bench server child reports once it listens. */
export interface ReadyMessage<T> {
  type: 'ready';
  info: T;
}

export interface ServerChild<T> {
  info: T;
  pid: number;
  /** Asks the child to close its server and exit (so `--cpu-prof` can write its profile); kills it after a grace period. */
  stop(): Promise<void>;
}

const ROOT = resolve(__dirname, '..', '..');

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
      resolveStart({
        info: m.info,
        pid: child.pid!,
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

/** Child side: report readiness, and close + exit when the parent says stop (or goes away). */
export function serveUntilStopped<T>(info: T, close: () => Promise<void>, graceMs = 1000): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
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
    if ((message as { type?: string }).type === 'stop') stop();
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
