import type { Command } from '../command';
import { USAGE } from '../rewrap/args';
import { rewrapCommand } from '../rewrap/command';
import { storeWalkCommand } from './store-walk';

/** The rewrap walk (src/cli/rewrap/). */
export const rewrapCommands: Command[] = [
  storeWalkCommand({
    name: 'rewrap',
    summary: `move every secret's data keys to the current key, in this process (embedded: stop npm start first)`,
    usage: USAGE,
    walk: rewrapCommand,
  }),
];
