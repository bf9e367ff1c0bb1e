import { type Command, defineCommand } from '../command';
import { connect } from '../connect';
import { EXIT } from '../exit-codes';
import { writeJson } from '../output';

/**
 * One exchange key re-checked over HTTP (POST /v1/exchange-check/{path}), by whoever may
 * `check` it. Not `exchange-check`: that is the operator's sweep over the whole store.
 */
const recheck = defineCommand({
  name: 'recheck',
  summary: 'ask the exchange again what one stored exchange key may do; exit 1 if that flags it',
  description: [
    "The vault asks the exchange about the current version's key and records the answer on the",
    'secret without a new version (policy action check). Prints the metadata with check and',
    'flagged, as describe does, never the key. Exit status 0 when flagged is empty, 1 when the key',
    'is flagged (withdraw_enabled, or the exchange now refuses it); it then shows in list --flagged.',
    'To re-check every stored key at once, run the exchange-check sweep (in this process, over the',
    'store).',
  ].join('\n'),
  args: ['PATH'],
  connects: true,
  options: {},
  async run({ positionals: [path], values, io, config }) {
    const result = await connect(values, config).recheckExchangeKey(path!);
    writeJson(io, result);
    return result.flagged.length > 0 ? EXIT.other : EXIT.ok;
  },
});

export const recheckCommands: Command[] = [recheck];
