import type { CliConfig } from '../config';

/** One option: its type, and the help line that is its only description (--help prints it). */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The value's name in help, e.g. N, ARN, FILE. */
  arg?: string;
  help: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** The parsed values of a command's options. */
export type OptionValues<O extends OptionSpecs> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string;
};

/** The embedded vault on this machine (npm start's default). */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8080';

/** The options of every command that talks to a vault (see connect.ts). */
export const CONNECT_OPTIONS = {
  endpoint: { type: 'string', arg: 'URL', help: `the vault (default $VAULT_ENDPOINT, else ${DEFAULT_ENDPOINT})` },
  region: { type: 'string', arg: 'REGION', help: 'region to sign for (default $VAULT_SIGV4_REGION, else $AWS_REGION)' },
  profile: { type: 'string', arg: 'NAME', help: 'sign with this AWS profile (the default credential chain otherwise)' },
  credential: {
    type: 'string',
    arg: 'ID',
    help: "a loopback vault: sign with this entry of its credentials file (default: the file's first)",
  },
} as const satisfies OptionSpecs;

/** Where a command reads and writes: the real process, or a test's streams. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

export interface CommandInput<O extends OptionSpecs> {
  positionals: string[];
  /** Its own options' values, and the connection options' for a command that connects. */
  values: OptionValues<O> & OptionValues<typeof CONNECT_OPTIONS>;
  io: CliIo;
  /** The CLI's settings (config.ts), read once. */
  config: CliConfig;
}

/**
 * One command. `name` is the words that select it ('put', 'credentials add'); the dispatcher
 * parses the options, checks the positionals, prints help from these fields and turns what
 * `run` throws into an exit status and one stderr line.
 */
export interface Command<O extends OptionSpecs = OptionSpecs> {
  name: string;
  summary: string;
  /** More for `COMMAND --help`, under the summary (what it does beyond one line, its own exit statuses). */
  description?: string;
  /** Positional arguments in help, e.g. 'PATH'; their number is what `run` receives. */
  args?: string[];
  options: O;
  /** Talks to a vault over HTTP: takes --endpoint, --region, --profile and --credential. */
  connects?: boolean;
  /**
   * Parses its own arguments (rewrap keeps its own parser and usage text); `run` gets them all
   * as positionals.
   */
  ownArgs?: boolean;
  /** Checked before parsing: a reason to refuse these arguments outright (put refuses a value). */
  refuse?: (argv: string[]) => string | undefined;
  /** The message for more positionals than `args` names (default: the synopsis). */
  extraArgs?: string;
  run(input: CommandInput<O>): Promise<number | undefined>;
}

/** Declares a command with its option values typed from its option specs. */
export function defineCommand<O extends OptionSpecs>(command: Command<O>): Command {
  return command as unknown as Command;
}
