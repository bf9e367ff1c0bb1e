import type { CliIo } from './command';
import { COMMANDS } from './commands';
import { dispatch } from './dispatch';

/** `kms-vault ...` as a process: the real streams and environment, and the exit status. */
export function runCli(argv: string[]): void {
  const io: CliIo = { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  dispatch(COMMANDS, argv, io).then(
    (code) => {
      process.exitCode = code;
      // The SDK's sockets and dynalite must not hold the command open once it is done.
      setImmediate(() => process.exit(code));
    },
    (error: unknown) => {
      process.stderr.write(`kms-vault: ${(error as Error)?.message ?? String(error)}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module) runCli(process.argv.slice(2));
