import { isLockError, StoreInUseError } from '../../adapters/dynamodb/store-lock';
import { startupFailure } from '../failure-reason';
import { rewrapCommand } from './command';

/** `npm run rewrap -- [options]`: see USAGE in args.ts. */
if (require.main === module) {
  // The lock can still surface from inside dynalite (a server started between the probe and
  // the open): name the cause rather than print "Database is closed".
  process.on('uncaughtException', (error) => {
    const locked = isLockError(error) || /Database is closed/.test(error.message);
    const text = locked ? new StoreInUseError('the embedded store').message : startupFailure(error);
    process.stderr.write(`rewrap failed: ${text}\n`);
    process.exit(1);
  });
  rewrapCommand(process.argv.slice(2), process.env, process.stdout, process.stderr).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`rewrap failed: ${startupFailure(error)}\n`);
      process.exit(1);
    },
  );
}
