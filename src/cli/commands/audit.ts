import { StoreInUseError } from '../../adapters/dynamodb/store-lock';
import { auditVerifyCommand, USAGE } from '../audit-verify/command';
import { type Command, defineCommand } from '../command';
import { EXIT } from '../exit-codes';
import { startupFailure } from '../failure-reason';

/**
 * `audit verify`: walks the access trail's chains in this process, over the store itself, and
 * says what was altered, what is missing and what no checkpoint covers yet. It keeps its own
 * arguments and usage text.
 */
const auditVerify = defineCommand({
  name: 'audit verify',
  summary: "check the access trail's hash chains and checkpoints; report alterations, gaps and uncovered tails",
  options: {},
  ownArgs: true,
  async run({ positionals, io }) {
    if (positionals.includes('--help') || positionals.includes('-h')) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    try {
      return await auditVerifyCommand(positionals, io.env, io.stdout, io.stderr);
    } catch (error) {
      io.stderr.write(`kms-vault: audit verify failed: ${startupFailure(error as Error)}\n`);
      return error instanceof StoreInUseError ? EXIT.unavailable : EXIT.other;
    }
  },
});

export const auditCommands: Command[] = [auditVerify];
