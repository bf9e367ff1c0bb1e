import { parseArgs } from 'node:util';
import { type CliConfig, loadCliConfig } from '../config';
import type { CliIo, Command, OptionSpec, OptionSpecs, OptionValues } from './command';
import { CONNECT_OPTIONS } from './connect';
import { EXIT, EXIT_MEANINGS, errorLine, exitCodeOf, UsageError } from './exit-codes';

const HELP: OptionSpecs = { help: { type: 'boolean', short: 'h', help: 'this help' } };

function optionsOf(command: Command): OptionSpecs {
  return { ...command.options, ...(command.connects ? CONNECT_OPTIONS : {}), ...HELP };
}

function optionLine(name: string, spec: OptionSpec): string {
  const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.arg ? ` ${spec.arg}` : ''}`;
  return `  ${flag.padEnd(26)} ${spec.help}${spec.multiple ? ' (repeatable)' : ''}`;
}

const exitTable = () => EXIT_MEANINGS.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`).join('\n');

export function commandHelp(command: Command): string {
  const synopsis = [`kms-vault ${command.name}`, ...(command.args ?? []), '[options]'].join(' ');
  const options = Object.entries(optionsOf(command)).map(([name, spec]) => optionLine(name, spec));
  const about = command.description ? `${command.summary}\n\n${command.description}` : command.summary;
  return `usage: ${synopsis}\n\n${about}\n\noptions:\n${options.join('\n')}\n\nexit status:\n${exitTable()}\n`;
}

export function generalHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const list = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return [
    'usage: kms-vault COMMAND [options]   (kms-vault COMMAND --help for its options)',
    '',
    'commands:',
    list,
    '',
    `Commands that talk to a vault take --endpoint, --region, --profile and --credential; against the`,
    'embedded vault on this machine they find its credentials file ($VAULT_DATA_DIR/credentials.json) by',
    'themselves. Values are read from stdin or --file, never from arguments. Errors are one line on stderr.',
    '',
    'exit status:',
    exitTable(),
    '',
  ].join('\n');
}

/** The command named by the longest run of leading words ('credentials add' before 'credentials'). */
function find(commands: readonly Command[], argv: string[]): { command: Command; rest: string[] } | undefined {
  let best: { command: Command; rest: string[] } | undefined;
  for (const command of commands) {
    const words = command.name.split(' ');
    if (words.every((word, i) => argv[i] === word) && (!best || words.length > best.command.name.split(' ').length)) {
      best = { command, rest: argv.slice(words.length) };
    }
  }
  return best;
}

/** Runs one command line; returns its exit status. Nothing here exits the process. */
export async function dispatch(commands: readonly Command[], argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    (argv.length === 0 ? io.stderr : io.stdout).write(generalHelp(commands));
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const found = find(commands, argv);
  if (!found) {
    const group = commands.filter((c) => c.name.startsWith(`${argv[0]} `)).map((c) => c.name);
    io.stderr.write(
      errorLine(
        new UsageError(
          group.length > 0
            ? `${argv[0]} needs a subcommand: ${group.join(', ')}`
            : `unknown command ${JSON.stringify(argv[0])} (kms-vault --help lists them)`,
        ),
      ),
    );
    return EXIT.usage;
  }
  const { command, rest } = found;
  try {
    let config: CliConfig | undefined;
    const settings = () => {
      config ??= loadCliConfig(io.env);
      return config;
    };
    if (command.ownArgs) {
      return (await command.run({ positionals: rest, values: {}, io, config: settings() })) ?? EXIT.ok;
    }
    const refusal = command.refuse?.(rest);
    if (refusal) throw new UsageError(refusal);
    let parsed: { values: OptionValues<OptionSpecs>; positionals: string[] };
    try {
      parsed = parseArgs({
        args: rest,
        options: optionsOf(command),
        strict: true,
        allowPositionals: true,
      }) as typeof parsed;
    } catch (error) {
      throw new UsageError(`${(error as Error).message} (kms-vault ${command.name} --help)`);
    }
    if (parsed.values.help) {
      io.stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    const expected = command.args?.length ?? 0;
    if (parsed.positionals.length > expected && command.extraArgs) throw new UsageError(command.extraArgs);
    if (parsed.positionals.length !== expected) {
      throw new UsageError(
        expected === 0
          ? `${command.name} takes no arguments (kms-vault ${command.name} --help)`
          : `${command.name} takes ${command.args!.join(' ')} (kms-vault ${command.name} --help)`,
      );
    }
    return (
      (await command.run({ positionals: parsed.positionals, values: parsed.values, io, config: settings() })) ?? EXIT.ok
    );
  } catch (error) {
    io.stderr.write(errorLine(error));
    return exitCodeOf(error);
  }
}
