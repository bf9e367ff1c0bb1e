import { auditVerifyCommand, USAGE } from '../audit-verify/command';
import type { Command } from '../command';
import { storeWalkCommand } from './store-walk';

/**
 * `audit verify`: walks the access trail's chains (src/cli/audit-verify/) and says what was
 * altered, what is missing and what no checkpoint covers yet.
 */
export const auditCommands: Command[] = [
  storeWalkCommand({
    name: 'audit verify',
    summary: "check the access trail's hash chains and checkpoints; report alterations, gaps and uncovered tails",
    usage: USAGE,
    walk: auditVerifyCommand,
  }),
];
