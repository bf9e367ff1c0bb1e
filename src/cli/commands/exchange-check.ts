import type { Command } from '../command';
import { exchangeCheckCommand, USAGE } from '../exchange-check/command';
import { storeWalkCommand } from './store-walk';

/** The exchange-key sweep (src/cli/exchange-check/). */
export const exchangeCheckCommands: Command[] = [
  storeWalkCommand({
    name: 'exchange-check',
    summary: 'ask each exchange again what every stored exchange key may do, and flag what changed',
    usage: USAGE,
    walk: exchangeCheckCommand,
  }),
];
