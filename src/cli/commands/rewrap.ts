import { isLockError, StoreInUseError } from '../../adapters/dynamodb/store-lock';
import { type Command, defineCommand } from '../command';
import { EXIT } from '../exit-codes';
import { startupFailure } from '../failure-reason';
import { USAGE } from '../rewrap/args';
import { rewrapCommand } from '../rewrap/command';

/**
 * The rewrap walk (src/cli/rewrap/), run in this process over the store itself, not over HTTP:
 * it keeps its own arguments and usage text.
 */
const rewrap = defineCommand({
  name: 'rewrap',
  summary: `move every secret's data keys to the current key, in this process (embedded: stop npm start first)`,
  options: {},
  ownArgs: true,
  async run({ positionals, io }) {
    if (positionals.includes('--help') || positionals.includes('-h')) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    // The lock can still surface from inside dynalite (a server started between the probe and
    // the open), outside any promise: name the cause rather than print "Database is closed".
    const onUncaught = (error: Error) => {
      const locked = isLockError(error) || /Database is closed/.test(error.message);
      io.stderr.write(
        `kms-vault: rewrap failed: ${locked ? new StoreInUseError('the embedded store').message : startupFailure(error)}\n`,
      );
      process.exit(locked ? EXIT.unavailable : EXIT.other);
    };
    process.on('uncaughtException', onUncaught);
    try {
      return await rewrapCommand(positionals, io.env, io.stdout, io.stderr);
    } catch (error) {
      io.stderr.write(`kms-vault: rewrap failed: ${startupFailure(error as Error)}\n`);
      return error instanceof StoreInUseError ? EXIT.unavailable : EXIT.other;
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  },
});

export const rewrapCommands: Command[] = [rewrap];
