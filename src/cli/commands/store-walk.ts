import { isLockError, StoreInUseError } from '../../adapters/dynamodb/store-lock';
import { type Command, defineCommand } from '../command';
import { EXIT } from '../exit-codes';
import { startupFailure } from '../failure-reason';

type Walk = (
  args: string[],
  env: NodeJS.ProcessEnv,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
) => Promise<number>;

/**
 * A long walk run in this process over the store itself, not over HTTP (rewrap,
 * exchange-check, audit verify): it keeps its own arguments and usage text, and every walk
 * reports a failure to start, and an embedded store held by another process, the same way.
 */
export function storeWalkCommand(spec: { name: string; summary: string; usage: string; walk: Walk }): Command {
  const failed = (reason: string) => `kms-vault: ${spec.name} failed: ${reason}\n`;
  return defineCommand({
    name: spec.name,
    summary: spec.summary,
    options: {},
    ownArgs: true,
    async run({ positionals, io }) {
      if (positionals.includes('--help') || positionals.includes('-h')) {
        io.stdout.write(`${spec.usage}\n`);
        return EXIT.ok;
      }
      // The lock can still surface from inside dynalite (a server started between the probe
      // and the open), outside any promise: name the cause rather than print "Database is closed".
      const onUncaught = (error: Error) => {
        const locked = isLockError(error) || /Database is closed/.test(error.message);
        io.stderr.write(failed(locked ? new StoreInUseError('the embedded store').message : startupFailure(error)));
        process.exit(locked ? EXIT.unavailable : EXIT.other);
      };
      process.on('uncaughtException', onUncaught);
      try {
        return await spec.walk(positionals, io.env, io.stdout, io.stderr);
      } catch (error) {
        io.stderr.write(failed(startupFailure(error as Error)));
        return error instanceof StoreInUseError ? EXIT.unavailable : EXIT.other;
      } finally {
        process.off('uncaughtException', onUncaught);
      }
    },
  });
}
