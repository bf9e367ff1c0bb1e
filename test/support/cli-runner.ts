import { PassThrough, Readable } from 'node:stream';
import type { CliIo } from '../../src/cli/command';
import { COMMANDS } from '../../src/cli/commands';
import { dispatch } from '../../src/cli/dispatch';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Bytes on stdin (none when absent). */
  input?: string;
  /** Whether stdout looks like a terminal. */
  tty?: boolean;
  /** Whether stdin looks like a terminal. */
  stdinTty?: boolean;
}

/**
 * `kms-vault ...` command lines run in this process through the real dispatcher, with the
 * environment `env()` gives at the time of each run, and captured streams.
 */
export function cliRunner(env: () => NodeJS.ProcessEnv) {
  return async (argv: string[], options: CliRunOptions = {}): Promise<CliRun> => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const stdin = Object.assign(Readable.from(options.input === undefined ? [] : [Buffer.from(options.input)]), {
      isTTY: options.stdinTty ?? false,
    });
    const io: CliIo = { env: env(), stdin, stdout: Object.assign(stdout, { isTTY: options.tty ?? false }), stderr };
    const code = await dispatch(COMMANDS, argv, io);
    return { code, stdout: out, stderr: err };
  };
}
