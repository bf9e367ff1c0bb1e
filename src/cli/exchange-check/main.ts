import { startupFailure } from '../failure-reason';
import { exchangeCheckCommand } from './command';

/** `npm run exchange-check -- [options]`: see USAGE in command.ts. */
if (require.main === module) {
  exchangeCheckCommand(process.argv.slice(2), process.env, process.stdout, process.stderr).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`exchange-check failed: ${startupFailure(error)}\n`);
      process.exit(1);
    },
  );
}
