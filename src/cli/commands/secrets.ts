import { readFile } from 'node:fs/promises';
import type { ExchangeCredential, MetadataView } from '../../client/vault-client';
import { EXCHANGES, type Exchange, isExchange, PASSPHRASE_EXCHANGES } from '../../core/exchange-keys';
import { type CliIo, type Command, defineCommand } from '../command';
import { connect } from '../connect';
import { EXIT, OutcomeError, UsageError } from '../exit-codes';
import { table, writeExact, writeJson } from '../output';

const ARGV_VALUE_REFUSED =
  'put takes the value on stdin or from --file, never as an argument: arguments show in `ps` and in shell history';

function wholeNumber(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,10}$/.test(text) || Number(text) < min)
    throw new UsageError(`--${name} must be a whole number from ${min}`);
  return Number(text);
}

function versionList(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,9}(,[1-9]\d{0,9})*$/.test(text)) throw new UsageError('--versions must be like 1 or 1,2,3');
  return text.split(',').map(Number);
}

function labelsOf(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs) return undefined;
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError(`--label ${JSON.stringify(pair)} must be KEY=VALUE`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * The value to write, from --file or stdin. As JSON (a string or an object) unless `raw`: then
 * the text itself, less one trailing newline (what `echo` adds). A terminal on stdin is refused:
 * typing a secret there would echo it.
 */
async function readValue(io: CliIo, file: string | undefined, raw: boolean): Promise<string | Record<string, unknown>> {
  let bytes: Buffer;
  if (file !== undefined && file !== '-') bytes = await readFile(file);
  else if (io.stdin.isTTY) {
    throw new UsageError('no value: pipe it on stdin (e.g. < file) or use --file FILE; a terminal would echo it');
  } else bytes = await readAll(io.stdin);
  const text = bytes.toString('utf8');
  if (raw) return text.replace(/\r?\n$/, '');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the input: never repeat it.
    throw new UsageError('the value is not JSON (a "string" or an {object}); use --raw to store the text as it is');
  }
  if (typeof value === 'string' || (typeof value === 'object' && value !== null && !Array.isArray(value))) {
    return value as string | Record<string, unknown>;
  }
  throw new UsageError('a value is a JSON string or a JSON object; use --raw to store other text as a string');
}

/** --exchange's value, checked before stdin is read: a typo costs nothing. */
function exchangeOf(name: string | undefined, raw: boolean): Exchange | undefined {
  if (name === undefined) return undefined;
  if (!isExchange(name)) {
    throw new UsageError(`--exchange ${JSON.stringify(name)} is not one the vault knows: ${EXCHANGES.join(', ')}`);
  }
  if (raw) throw new UsageError('--exchange and --raw do not go together: an exchange key is a JSON object');
  return name;
}

const put = defineCommand({
  name: 'put',
  summary: 'write a new version of a secret, its value read from stdin or --file',
  description: [
    `With --exchange the value is that exchange's API key, a JSON object {"apiKey": ..., "secretKey": ...}`,
    `(and "passphrase" on ${[...PASSPHRASE_EXCHANGES].join(', ')}). The vault asks the exchange what the key may do`,
    'before it stores anything: a key that can withdraw is refused (exit 2, the reason on stderr, e.g.',
    'withdraw_enabled). The output shows the key masked (apiKeyHint) and what the exchange said (check).',
  ].join('\n'),
  args: ['PATH'],
  connects: true,
  options: {
    file: { type: 'string', arg: 'FILE', help: 'read the value from FILE instead of stdin' },
    raw: { type: 'boolean', help: 'store the text as a string (one trailing newline dropped), not as JSON' },
    exchange: {
      type: 'string',
      arg: 'EXCHANGE',
      help: `store an exchange API key of EXCHANGE: ${EXCHANGES.join(', ')}`,
    },
    label: { type: 'string', arg: 'KEY=VALUE', multiple: true, help: 'a label (plaintext metadata, never a secret)' },
    cas: { type: 'string', arg: 'N', help: 'the version expected to be current (0: must not exist yet)' },
    'rotation-days': { type: 'string', arg: 'N', help: "this secret's rotation period" },
  },
  refuse: (argv) => (argv.some((arg) => /^--value(=|$)/.test(arg)) ? ARGV_VALUE_REFUSED : undefined),
  extraArgs: ARGV_VALUE_REFUSED,
  async run({ positionals: [path], values, io, config }) {
    const exchange = exchangeOf(values.exchange, values.raw ?? false);
    const value = await readValue(io, values.file, values.raw ?? false);
    const client = connect(values, config);
    const labels = labelsOf(values.label);
    const cas = wholeNumber('cas', values.cas, 0);
    const rotationDays = wholeNumber('rotation-days', values['rotation-days'], 1);
    const opts = {
      ...(labels && { labels }),
      ...(cas !== undefined && { cas }),
      ...(rotationDays !== undefined && { rotationDays }),
    };
    let result: Awaited<ReturnType<typeof client.putSecret>>;
    if (exchange === undefined) result = await client.putSecret(path!, value, opts);
    else if (typeof value === 'string') {
      throw new UsageError(
        'with --exchange the value is a JSON object {"apiKey","secretKey"[,"passphrase"]}, not a string',
      );
    } else {
      // Its shape is the vault's to check (400, naming the field and never its value).
      result = await client.putExchangeKey(path!, exchange, value as unknown as ExchangeCredential, opts);
    }
    writeJson(io, result);
    return EXIT.ok;
  },
});

const get = defineCommand({
  name: 'get',
  summary: 'print the value of a secret (JSON), one field of it, or a string value as it is',
  args: ['PATH'],
  connects: true,
  options: {
    version: { type: 'string', arg: 'N', help: 'that version (default: the current one)' },
    field: { type: 'string', arg: 'NAME', help: 'only this field of an object value (a string field as it is)' },
    raw: { type: 'boolean', help: 'a string value as it is, with no quotes (a newline only on a terminal)' },
  },
  async run({ positionals: [path], values, io, config }) {
    if (values.field !== undefined && values.raw) throw new UsageError('--field and --raw do not go together');
    const version = wholeNumber('version', values.version, 1);
    const secret = await connect(values, config).getSecret(path!, version === undefined ? {} : { version });
    const { value } = secret;
    if (values.raw) {
      if (typeof value !== 'string')
        throw new UsageError('--raw prints a string value; this one is an object (use --field NAME)');
      writeExact(io, value);
    } else if (values.field !== undefined) {
      if (typeof value === 'string')
        throw new UsageError('--field reads an object value; this one is a string (use --raw)');
      if (!Object.hasOwn(value, values.field)) {
        throw new OutcomeError(EXIT.notFound, `the value of ${path} has no field ${JSON.stringify(values.field)}`);
      }
      const field = value[values.field];
      if (typeof field === 'string') writeExact(io, field);
      else writeJson(io, field);
    } else {
      writeJson(io, value);
    }
    return EXIT.ok;
  },
});

const describe = defineCommand({
  name: 'describe',
  summary: "print a secret's metadata and versions (never a value)",
  args: ['PATH'],
  connects: true,
  options: {},
  async run({ positionals: [path], values, io, config }) {
    writeJson(io, await connect(values, config).describeSecret(path!));
    return EXIT.ok;
  },
});

function row(item: MetadataView, flagged: boolean): string[] {
  const labels = Object.entries(item.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const state = item.versions.find((v) => v.version === item.version)?.state ?? 'gone';
  const why = flagged ? [(item.flagged ?? []).join(',')] : [];
  return [item.path, String(item.version), state, item.updatedAt, item.rotationDueAt, ...why, labels];
}

const list = defineCommand({
  name: 'list',
  summary: 'list metadata: a table on a terminal, JSON lines when piped or with --json',
  connects: true,
  options: {
    prefix: { type: 'string', arg: 'P', help: 'only paths that start with P' },
    'rotation-due': { type: 'boolean', help: 'only secrets older than their rotation period' },
    flagged: {
      type: 'boolean',
      help: 'only exchange keys whose latest re-check flagged them (recheck, exchange-check); the table shows why',
    },
    limit: { type: 'string', arg: 'N', help: 'items per page, 1..100 (default 50)' },
    cursor: { type: 'string', arg: 'C', help: 'continue from the cursor a previous page ended with' },
    all: { type: 'boolean', help: 'follow cursors to the end' },
    json: { type: 'boolean', help: 'JSON lines even on a terminal' },
  },
  async run({ values, io, config }) {
    const client = connect(values, config);
    const limit = wholeNumber('limit', values.limit, 1);
    if (limit !== undefined && limit > 100) throw new UsageError('--limit must be from 1 to 100');
    const asTable = Boolean(io.stdout.isTTY) && !values.json;
    const rows: string[][] = [];
    let cursor = values.cursor;
    do {
      const page = await client.listSecrets({
        ...(values.prefix !== undefined && { prefix: values.prefix }),
        ...(values['rotation-due'] && { rotationDue: true }),
        ...(values.flagged && { flagged: true }),
        ...(limit !== undefined && { limit }),
        ...(cursor !== undefined && { cursor }),
      });
      for (const item of page.items) {
        if (asTable) rows.push(row(item, values.flagged ?? false));
        else io.stdout.write(`${JSON.stringify(item)}\n`);
      }
      cursor = page.cursor;
    } while (values.all && cursor !== undefined);
    if (asTable) {
      const why = values.flagged ? ['FLAGGED'] : [];
      io.stdout.write(table(['PATH', 'VERSION', 'STATE', 'UPDATED', 'ROTATION DUE', ...why, 'LABELS'], rows));
    }
    if (cursor !== undefined) io.stderr.write(`more: kms-vault list --cursor ${cursor} (or --all)\n`);
    return EXIT.ok;
  },
});

const lifecycle = (
  name: 'delete' | 'undelete' | 'destroy',
  summary: string,
  call: (
    client: ReturnType<typeof connect>,
    path: string,
    versions: number[] | undefined,
    cas: number | undefined,
  ) => Promise<unknown>,
) =>
  defineCommand({
    name,
    summary,
    args: ['PATH'],
    connects: true,
    options: {
      versions: {
        type: 'string',
        arg: '1,2',
        help: name === 'delete' ? 'these versions (default: the current one)' : 'these versions (required)',
      },
      cas: { type: 'string', arg: 'N', help: 'the version expected to be current' },
    },
    async run({ positionals: [path], values, io, config }) {
      const versions = versionList(values.versions);
      if (name !== 'delete' && !versions) throw new UsageError(`${name} needs --versions`);
      writeJson(io, await call(connect(values, config), path!, versions, wholeNumber('cas', values.cas, 0)));
      return EXIT.ok;
    },
  });

const cas = (n: number | undefined) => (n === undefined ? {} : { cas: n });

const erase = defineCommand({
  name: 'erase',
  summary: 'erase a secret and all its versions for good',
  args: ['PATH'],
  connects: true,
  options: { cas: { type: 'string', arg: 'N', help: 'the version expected to be current' } },
  async run({ positionals: [path], values, io, config }) {
    await connect(values, config).deleteMetadata(path!, cas(wholeNumber('cas', values.cas, 0)));
    io.stderr.write(`erased ${path}\n`);
    return EXIT.ok;
  },
});

export const secretCommands: Command[] = [
  put,
  get,
  describe,
  list,
  lifecycle('delete', 'soft-delete versions (the current one by default); undelete recovers them', (c, p, v, n) =>
    c.deleteSecret(p, { ...(v && { versions: v }), ...cas(n) }),
  ),
  lifecycle('undelete', 'recover soft-deleted versions', (c, p, v, n) => c.undeleteSecret(p, v!, cas(n))),
  lifecycle('destroy', 'erase the ciphertext of versions for good', (c, p, v, n) => c.destroySecret(p, v!, cas(n))),
  erase,
];
