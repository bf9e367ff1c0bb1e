import { isLockError, StoreInUseError } from '../../adapters/dynamodb/store-lock';
import { DependencyError } from '../../core/errors';
import { failureReason } from '../failure-reason';
import { rewrapCommand } from './command';

/** `npm run rewrap -- [options]`: see USAGE in args.ts. */
export function startupFailure(error: Error): string {
  // Start-up errors (config, lock, key service) carry no secret; DependencyError's detail is its log line.
  if (error instanceof StoreInUseError || error.name === 'ConfigError') return error.message;
  if (error instanceof DependencyError) return `${failureReason(error)}: ${error.detail}`;
  return `${failureReason(error)}: ${error.message}`;
}

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
