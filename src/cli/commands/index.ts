import type { Command } from '../command';
import { auditCommands } from './audit';
import { credentialsCommands } from './credentials';
import { exchangeCheckCommands } from './exchange-check';
import { policyCommands } from './policy';
import { recheckCommands } from './recheck';
import { rewrapCommands } from './rewrap';
import { secretCommands } from './secrets';

/**
 * Every command of `kms-vault`, in the order --help lists them. A new group is a file in this
 * folder exporting its commands (see credentials.ts) and one entry here.
 */
export const COMMANDS: readonly Command[] = [
  ...secretCommands,
  ...recheckCommands,
  ...rewrapCommands,
  ...exchangeCheckCommands,
  ...auditCommands,
  ...credentialsCommands,
  ...policyCommands,
];
