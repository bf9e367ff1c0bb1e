import { startupFailure } from '../failure-reason';
import { auditVerifyCommand } from './command';

/** `npm run audit-verify -- [options]`: see USAGE in command.ts. */
if (require.main === module) {
  auditVerifyCommand(process.argv.slice(2), process.env, process.stdout, process.stderr).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`audit verify failed: ${startupFailure(error)}\n`);
      process.exit(1);
    },
  );
}
