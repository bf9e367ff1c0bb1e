import { addCredential, loadCredentialsFile, removeCredential } from '../../adapters/auth/credentials-file';
import { normalisePrincipal } from '../../core/principal';
import { type Command, defineCommand } from '../command';
import { EXIT, UsageError } from '../exit-codes';
import { table, writeJson } from '../output';

/** The credentials file of the embedded vault (or of a server in AWS mode) on this machine. */
const add = defineCommand({
  name: 'credentials add',
  summary: 'add a SigV4 credential for a principal; prints "ACCESS_KEY_ID SECRET" once (the server picks it up)',
  options: {
    principal: { type: 'string', arg: 'ARN', help: 'the IAM role or user ARN the credential stands for (required)' },
    json: { type: 'boolean', help: 'print {accessKeyId, secretAccessKey, principal} instead' },
  },
  async run({ values, io, config }) {
    if (values.principal === undefined) throw new UsageError('credentials add needs --principal ARN');
    try {
      normalisePrincipal(values.principal);
    } catch {
      throw new UsageError(`--principal ${values.principal} is not an IAM role, user or assumed-role ARN`);
    }
    const credential = addCredential(config.credentialsFile, values.principal);
    // The secret goes to stdout once, for a variable or a secret store; the note goes to stderr.
    if (values.json) writeJson(io, credential);
    else io.stdout.write(`${credential.accessKeyId} ${credential.secretAccessKey}\n`);
    io.stderr.write(
      `added ${credential.accessKeyId} for ${credential.principal} to ${config.credentialsFile}; a running server uses it within half a second. Its secret is not shown again.\n`,
    );
    return EXIT.ok;
  },
});

const list = defineCommand({
  name: 'credentials list',
  summary: 'list credentials: access key ids and principals, never a secret',
  options: { json: { type: 'boolean', help: 'JSON lines even on a terminal' } },
  async run({ values, io, config }) {
    const entries = [...loadCredentialsFile(config.credentialsFile).values()];
    if (io.stdout.isTTY && !values.json) {
      io.stdout.write(
        table(
          ['ACCESS KEY ID', 'PRINCIPAL'],
          entries.map((c) => [c.accessKeyId, c.principal]),
        ),
      );
    } else {
      for (const c of entries)
        io.stdout.write(`${JSON.stringify({ accessKeyId: c.accessKeyId, principal: c.principal })}\n`);
    }
    return EXIT.ok;
  },
});

const remove = defineCommand({
  name: 'credentials remove',
  summary: 'remove a credential by access key id (the server stops accepting it)',
  args: ['ACCESS_KEY_ID'],
  options: {},
  async run({ positionals: [id], io, config }) {
    const removed = removeCredential(config.credentialsFile, id!);
    io.stderr.write(`removed ${removed.accessKeyId} (${removed.principal}) from ${config.credentialsFile}\n`);
    return EXIT.ok;
  },
});

export const credentialsCommands: Command[] = [add, list, remove];
