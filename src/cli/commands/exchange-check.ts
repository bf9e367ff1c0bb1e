import { StoreInUseError } from '../../adapters/dynamodb/store-lock';
import { type Command, defineCommand } from '../command';
import { exchangeCheckCommand, USAGE } from '../exchange-check/command';
import { EXIT } from '../exit-codes';
import { startupFailure } from '../failure-reason';

/**
 * The exchange-key sweep (src/cli/exchange-check/), run in this process over the store itself,
 * like rewrap: it keeps its own arguments and usage text.
 */
const exchangeCheck = defineCommand({
  name: 'exchange-check',
  summary: 'ask each exchange again what every stored exchange key may do, and flag what changed',
  options: {},
  ownArgs: true,
  async run({ positionals, io }) {
    if (positionals.includes('--help') || positionals.includes('-h')) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    try {
      return await exchangeCheckCommand(positionals, io.env, io.stdout, io.stderr);
    } catch (error) {
      io.stderr.write(`kms-vault: exchange-check failed: ${startupFailure(error as Error)}\n`);
      return error instanceof StoreInUseError ? EXIT.unavailable : EXIT.other;
    }
  },
});

export const exchangeCheckCommands: Command[] = [exchangeCheck];
