/**
 * `npm run rewrap -- [--prefix P] [--rotate-local-key] [--concurrency N]`
 *
 * Moves every retained version of every secret under a prefix to the current key (KMS
 * ReEncrypt in AWS mode, the current local master key in embedded mode): only `edk` and `kid`
 * change, no plaintext key or value leaves the key provider, and versions not yet moved keep
 * opening under the key recorded with them. The walk is idempotent: a secret whose versions
 * are all under the current key is skipped, so an interrupted or partly failed run is simply
 * run again.
 *
 * Identity: the CLI does not go through HTTP, so it names its own principal for the policy
 * check and the audit trail: `--principal ARN`, else VAULT_OPERATOR_PRINCIPAL, else the local
 * admin `arn:aws:iam::000000000000:user/vault-admin` (the principal `npm start` creates and
 * embedded mode's default policy admits). In AWS mode the real gate is IAM: the operator's
 * own AWS credentials need kms:DescribeKey, kms:ReEncryptFrom/ReEncryptTo on the keys and
 * read/write on the table; the principal named here must still hold list, describe and admin
 * in the vault policy (VAULT_POLICY / VAULT_POLICY_FILE, or the local admin's default policy).
 * Audit records go to an append-only JSON-lines file (--audit-log, default
 * `<VAULT_DATA_DIR>/rewrap-audit.jsonl`), never to the terminal the progress bar is drawn on.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbSecretStore } from '../adapters/dynamodb/dynamodb-secret-store';
import { assertStoreFree, isLockError, StoreInUseError, startDynalite } from '../adapters/dynamodb/embedded-dynalite';
import { dynamoClientConfig, ensureTable } from '../adapters/dynamodb/table';
import type { Logger } from '../adapters/http/logger';
import { KmsKeyProvider, kmsClientConfig } from '../adapters/kms/kms-key-provider';
import { LocalKeyProvider } from '../adapters/local-keys/local-key-provider';
import { type Config, loadConfig } from '../config';
import { AuthenticationError, DependencyError, VaultError } from '../core/errors';
import { assertValidPrefix } from '../core/paths';
import { adminPolicy } from '../core/policy';
import type { KeyProvider, SecretStore } from '../core/ports';
import { normalisePrincipal } from '../core/principal';
import type { Caller, Vault } from '../core/vault';
import { assemble } from '../wiring';
import { formatDuration, type ProgressCounts, ProgressReporter } from './progress';

/**
 * The local admin principal of embedded mode (the same ARN as server.ts's LOCAL_ADMIN; not
 * imported from there so the CLI does not pull in the HTTP server and its SigV4 adapters).
 */
export const LOCAL_OPERATOR = 'arn:aws:iam::000000000000:user/vault-admin';
/** Operator principal for the CLI; read here and removed before loadConfig (which refuses unknown VAULT_* names). */
export const OPERATOR_PRINCIPAL_ENV = 'VAULT_OPERATOR_PRINCIPAL';

export interface RewrapOptions {
  vault: Vault;
  prefix: string;
  out: NodeJS.WritableStream;
  isTTY: boolean;
  /** Secrets per list page (default 100). */
  pageSize?: number;
  /** Milliseconds clock for rate, ETA and throttling (default Date.now). */
  now?: () => number;
  /** Principal for policy and audit (default LOCAL_OPERATOR). */
  principal?: string;
  /** Secrets rewrapped at once (default 1). */
  concurrency?: number;
  /** Aborting finishes the secrets in flight, starts no new one, and prints the summary. */
  signal?: AbortSignal;
  /** Count the secrets first so progress has a total and an ETA (default true). */
  countFirst?: boolean;
  /** Attempts per secret when a concurrent write wins the HEAD's optimistic lock (default 3). */
  conflictAttempts?: number;
  /** Milliseconds between progress heartbeats while a secret is slow (default 1000; 0 = none). */
  heartbeatMs?: number;
}

export interface RewrapFailure {
  path: string;
  /** Error code (and dependency), never a message that could carry data. */
  reason: string;
}

export interface RewrapSummary {
  /** Secrets with at least one version moved to the current key. */
  rewrapped: number;
  /** Secrets with nothing to move (all versions already under the current key, or gone). */
  skipped: number;
  failed: RewrapFailure[];
  /** Secrets processed: rewrapped + skipped + failed. */
  secrets: number;
  /** Versions moved, over all secrets. */
  versionsRewrapped: number;
  /** True when the signal stopped the walk before the end. */
  interrupted: boolean;
  /** Set when listing failed and the walk could not go on; a rerun resumes it. */
  listError?: string;
  /** The current key id as rewrap reported it. */
  keyId?: string;
  elapsedMs: number;
}

/** A safe, stable reason for a failure: the error code (and which dependency), never its message. */
export function failureReason(error: unknown): string {
  if (error instanceof DependencyError) {
    // The underlying SDK error's name (e.g. AccessDeniedException) says what to fix.
    const cause = safeName(error.cause);
    return `${error.code} (${error.dependency}${cause ? ` ${cause}` : ''})`;
  }
  if (error instanceof VaultError) return error.code;
  return safeName(error) ?? 'Error';
}

function safeName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(name) ? name : undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Walks every secret under `prefix` page by page and rewraps each one, recording failures and
 * going on. Prints progress while it runs and a summary at the end.
 *
 * Total and ETA: the walk first counts with a list pass (countFirst). A list page is one
 * index query of metadata (no KMS call, no ciphertext), while rewrapping one secret costs a
 * HEAD read, a key lookup, one ReEncrypt and one or two writes per version; so counting adds
 * a few percent to the run and buys a real bar and ETA, which is what an operator watching a
 * key migration wants to know. The count is a snapshot: secrets written meanwhile are already
 * under the current key (skipped), and the total grows if the walk sees more than were counted.
 */
export async function runRewrap(options: RewrapOptions): Promise<RewrapSummary> {
  const { vault, out, isTTY, signal } = options;
  const prefix = assertValidPrefix(options.prefix);
  const pageSize = options.pageSize ?? 100;
  const now = options.now ?? Date.now;
  const principal = options.principal ?? LOCAL_OPERATOR;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const conflictAttempts = Math.max(1, options.conflictAttempts ?? 3);
  const runId = randomUUID().slice(0, 8);
  let requests = 0;
  const caller = (): Caller => ({ principal, requestId: `rewrap-${runId}-${++requests}` });
  const where = prefix ? `under "${prefix}"` : 'in the vault';
  const stopped = () => signal?.aborted === true;

  const summary: RewrapSummary = {
    rewrapped: 0,
    skipped: 0,
    failed: [],
    secrets: 0,
    versionsRewrapped: 0,
    interrupted: false,
    elapsedMs: 0,
  };
  const progress = new ProgressReporter({ out, isTTY, now, unit: 'secrets' });
  const startedAt = now();
  let total: number | undefined;
  const counts = (): ProgressCounts => ({
    processed: summary.secrets,
    rewrapped: summary.rewrapped,
    skipped: summary.skipped,
    failed: summary.failed.length,
    ...(total !== undefined && { total: Math.max(total, summary.secrets) }),
  });

  /** One list page, retrying a dependency hiccup twice; anything else ends the walk. */
  const listPage = async (cursor: string | undefined) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await vault.list(caller(), { prefix, limit: pageSize, ...(cursor !== undefined && { cursor }) });
      } catch (error) {
        if (!(error instanceof DependencyError) || attempt >= 3 || stopped()) throw error;
        await sleep(Math.min(5000, error.retryAfterSeconds * 1000) * attempt);
      }
    }
  };

  const rewrapOne = async (path: string) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await vault.rewrap(caller(), path);
        summary.keyId = result.keyId;
        if (result.rewrapped.length > 0) {
          summary.rewrapped += 1;
          summary.versionsRewrapped += result.rewrapped.length;
        } else {
          summary.skipped += 1;
        }
        return;
      } catch (error) {
        const code = error instanceof VaultError ? error.code : undefined;
        // A concurrent write moved the HEAD: what was rewrapped stays rewrapped, so try again.
        if (code === 'conflict' && attempt < conflictAttempts) {
          await sleep(20 * attempt);
          continue;
        }
        // Destroyed between list and rewrap: nothing left to move.
        if (code === 'not_found') summary.skipped += 1;
        else summary.failed.push({ path, reason: failureReason(error) });
        return;
      }
    }
  };

  let walking = false;
  const heartbeatMs = options.heartbeatMs ?? 1000;
  const heartbeat = heartbeatMs > 0 ? setInterval(() => progress.tick(), heartbeatMs) : undefined;
  heartbeat?.unref();
  try {
    try {
      if (options.countFirst ?? true) {
        out.write(`counting secrets ${where}...\n`);
        let counted = 0;
        let cursor: string | undefined;
        do {
          const page = await listPage(cursor);
          counted += page.items.length;
          cursor = page.cursor;
        } while (cursor && !stopped());
        total = counted;
        out.write(
          `rewrapping ${counted} secret${counted === 1 ? '' : 's'} ${where}${concurrency > 1 ? `, ${concurrency} at a time` : ''}\n`,
        );
      } else {
        out.write(`rewrapping every secret ${where}${concurrency > 1 ? `, ${concurrency} at a time` : ''}\n`);
      }
      progress.start(counts());
      walking = true;

      let cursor: string | undefined;
      do {
        if (stopped()) break;
        const page = await listPage(cursor);
        cursor = page.cursor;
        let next = 0;
        // A small pool over the page: each worker takes the next secret until the page is done
        // or the run is interrupted (secrets in flight finish; no new one starts).
        const worker = async () => {
          while (next < page.items.length && !stopped()) {
            const item = page.items[next++]!;
            await rewrapOne(item.path);
            summary.secrets += 1;
            progress.update(counts());
          }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, page.items.length) }, worker));
      } while (cursor);
    } catch (error) {
      // Only listing can get here: without the next page the walk cannot go on.
      summary.listError = failureReason(error);
    }
    summary.interrupted = stopped();
    summary.elapsedMs = now() - startedAt;
    if (walking) progress.finish(counts());
  } finally {
    if (heartbeat) clearInterval(heartbeat);
  }
  out.write(formatSummary(summary, { where, principal }));
  return summary;
}

/** The closing report: counts, failures grouped by reason (paths are metadata, never values), what to do next. */
export function formatSummary(summary: RewrapSummary, context: { where: string; principal: string }): string {
  const lines: string[] = [];
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const state = summary.listError ? 'stopped' : summary.interrupted ? 'interrupted' : 'finished';
  lines.push(
    `rewrap ${state} after ${formatDuration(summary.elapsedMs)}: ${plural(summary.secrets, 'secret')} processed ${context.where}` +
      (summary.keyId ? `; current key ${summary.keyId}` : ''),
  );
  lines.push(
    `  rewrapped: ${plural(summary.rewrapped, 'secret')} (${plural(summary.versionsRewrapped, 'version')} moved to the current key)`,
  );
  lines.push(`  skipped:   ${plural(summary.skipped, 'secret')} (already under the current key)`);
  lines.push(`  failed:    ${plural(summary.failed.length, 'secret')}`);
  const byReason = new Map<string, string[]>();
  for (const failure of summary.failed)
    byReason.set(failure.reason, [...(byReason.get(failure.reason) ?? []), failure.path]);
  const SHOWN = 20;
  for (const [reason, paths] of byReason) {
    lines.push(`    ${reason}: ${plural(paths.length, 'secret')}`);
    for (const path of paths.slice(0, SHOWN)) lines.push(`      ${path}`);
    if (paths.length > SHOWN) lines.push(`      ... and ${paths.length - SHOWN} more`);
  }
  if (summary.listError) {
    lines.push(`  listing failed (${summary.listError}); the walk stopped there.`);
    if (summary.listError === 'access_denied') {
      lines.push(
        `  ${context.principal} needs list, describe and admin in the vault policy (set --principal or ${OPERATOR_PRINCIPAL_ENV}).`,
      );
    }
  }
  if (summary.interrupted)
    lines.push('  interrupted: rerun the same command to finish (secrets already under the current key are skipped).');
  else if (summary.failed.length > 0 || (summary.listError && summary.listError !== 'access_denied')) {
    lines.push(
      '  rerun the same command to retry (secrets already under the current key are skipped); versions not yet moved keep opening under their old key.',
    );
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// main: the vault assembled from the environment the way server.ts does it, without HTTP.

const USAGE = `usage: npm run rewrap -- [--prefix P] [--rotate-local-key] [--concurrency N] [--page-size N]
                        [--principal ARN] [--audit-log FILE]

Rewraps every retained version of every secret under P (default: all) under the current key.
  --prefix P           only secrets whose path starts with P
  --rotate-local-key   embedded mode: retire the local master key and create a new one first
                       (rerun an interrupted move WITHOUT this flag)
  --concurrency N      secrets rewrapped at once, 1..32 (default 4)
  --page-size N        secrets per list page, 1..1000 (default 100)
  --principal ARN      operator principal for the vault policy and audit (default
                       $${OPERATOR_PRINCIPAL_ENV}, else ${LOCAL_OPERATOR})
  --audit-log FILE     where audit records go (default <VAULT_DATA_DIR>/rewrap-audit.jsonl)
Embedded mode needs \`npm start\` stopped: its on-disk store opens in one process at a time.
Exit status: 0 all done, 1 something failed (rerun to retry), 130 interrupted (rerun to finish).`;

class UsageError extends Error {}

export interface CliArgs {
  prefix: string;
  rotateLocalKey: boolean;
  concurrency: number;
  pageSize: number;
  principal?: string;
  auditLog?: string;
  help: boolean;
}

export function parseCliArgs(argv: string[]): CliArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        prefix: { type: 'string', default: '' },
        'rotate-local-key': { type: 'boolean', default: false },
        concurrency: { type: 'string', default: '4' },
        'page-size': { type: 'string', default: '100' },
        principal: { type: 'string' },
        'audit-log': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const int = (name: string, text: string, min: number, max: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  try {
    assertValidPrefix(values.prefix);
  } catch (error) {
    throw new UsageError(`--prefix: ${(error as Error).message}`);
  }
  const args: CliArgs = {
    prefix: values.prefix,
    rotateLocalKey: values['rotate-local-key'],
    concurrency: int('concurrency', values.concurrency, 1, 32),
    pageSize: int('page-size', values['page-size'], 1, 1000),
    help: values.help,
  };
  if (values.principal !== undefined) args.principal = values.principal;
  if (values['audit-log'] !== undefined) args.auditLog = values['audit-log'];
  return args;
}

/** Audit to an append-only 0600 file, one JSON line per decision, written synchronously (fail-closed). */
function fileAuditLogger(file: string): { logger: Logger; close(): void } {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const fd = openSync(file, 'a', 0o600);
  return {
    logger: {
      write: (record) =>
        void writeSync(fd, `${JSON.stringify({ time: new Date().toISOString(), source: 'rewrap-cli', ...record })}\n`),
    },
    close: () => closeSync(fd),
  };
}

interface Assembled {
  vault: Vault;
  keys: KeyProvider;
  describe: string;
  close(): Promise<void>;
}

async function buildVault(config: Config, auditLogger: Logger): Promise<Assembled> {
  let keys: KeyProvider;
  let store: SecretStore;
  let close: () => Promise<void>;
  let describe: string;
  if (config.mode === 'embedded') {
    const dynamo = await startDynalite(join(config.dataDir, 'dynamodb'));
    close = dynamo.close;
    await ensureTable(dynamo.client, config.tableName);
    store = new DynamoDbSecretStore({ client: dynamo.client, tableName: config.tableName });
    keys = LocalKeyProvider.fromDirectory(config.dataDir);
    describe = `embedded mode, data in ${config.dataDir}/`;
  } else {
    const client = new DynamoDBClient(dynamoClientConfig(config.region));
    close = async () => client.destroy();
    store = new DynamoDbSecretStore({ client, tableName: config.tableName });
    keys = new KmsKeyProvider({ keyId: config.kmsKeyId!, clientConfig: kmsClientConfig({ region: config.region }) });
    describe = `AWS mode, table ${config.tableName}, KMS key ${config.kmsKeyId} (${config.region})`;
  }
  const { vault, keys: cached } = assemble(config, {
    keys,
    store,
    policy: config.policy ?? adminPolicy(LOCAL_OPERATOR),
    logger: auditLogger,
    // No HTTP here: the app assemble builds is never listened on.
    authenticate: () => {
      throw new AuthenticationError('the rewrap CLI serves no HTTP');
    },
  });
  return { vault, keys: cached, describe, close };
}

export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: NodeJS.WriteStream & { isTTY?: boolean },
  err: NodeJS.WritableStream,
): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (error) {
    err.write(`${(error as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (args.help) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  // Not a vault setting: loadConfig refuses unknown VAULT_* names, so take it out first.
  const { [OPERATOR_PRINCIPAL_ENV]: principalFromEnv, ...vaultEnv } = env;
  let principal: string;
  try {
    principal = normalisePrincipal(args.principal ?? principalFromEnv ?? LOCAL_OPERATOR);
  } catch {
    err.write(
      `the operator principal must be an IAM role, user or assumed-role ARN (--principal or ${OPERATOR_PRINCIPAL_ENV})\n`,
    );
    return 1;
  }
  const config = loadConfig(vaultEnv);
  if (args.rotateLocalKey && config.mode !== 'embedded') {
    err.write(
      '--rotate-local-key is for embedded mode. In AWS mode, point VAULT_KMS_KEY_ID (or its alias) at the new KMS key and run rewrap.\n',
    );
    return 1;
  }
  if (config.mode === 'embedded') {
    // Before any change: a running server would keep writing under the master key it loaded.
    await assertStoreFree(join(config.dataDir, 'dynamodb'));
    if (args.rotateLocalKey) {
      if (!existsSync(join(config.dataDir, 'master.key'))) {
        err.write(`no master key in ${config.dataDir}/: nothing to rotate\n`);
        return 1;
      }
      const newId = LocalKeyProvider.rotate(config.dataDir);
      out.write(
        `rotated the local master key: new key ${newId}; the old one is kept in ${join(config.dataDir, 'retired-keys')}/ until everything is rewrapped\n`,
      );
    }
  }
  const auditFile = args.auditLog ?? join(config.dataDir, 'rewrap-audit.jsonl');
  const audit = fileAuditLogger(auditFile);
  let assembled: Assembled | undefined;
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts === 1) {
      controller.abort();
      out.write(
        `${out.isTTY ? '\n' : ''}interrupt: finishing the secrets in flight, then the summary (interrupt again to stop at once)\n`,
      );
    } else {
      // Safe at any point: rewrap moves version items before the HEAD, so every version opens.
      err.write('stopped; rerun to finish\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    assembled = await buildVault(config, audit.logger);
    const keyId = await assembled.keys.currentKeyId();
    out.write(
      `kms-vault rewrap (${assembled.describe}); current key ${keyId}; as ${principal}; audit in ${auditFile}\n`,
    );
    const summary = await runRewrap({
      vault: assembled.vault,
      prefix: args.prefix,
      out,
      isTTY: Boolean(out.isTTY),
      pageSize: args.pageSize,
      concurrency: args.concurrency,
      principal,
      signal: controller.signal,
    });
    if (args.rotateLocalKey && (summary.interrupted || summary.failed.length > 0 || summary.listError)) {
      out.write('the master key is already rotated: rerun WITHOUT --rotate-local-key to finish the move\n');
    }
    if (summary.interrupted) return 130;
    if (summary.failed.length > 0 || summary.listError) return 1;
    if (config.mode === 'aws' && summary.rewrapped > 0) {
      // A write racing this run can leave its superseded copy under the old key (the run cannot
      // see it); a run that moves nothing proves nothing is left.
      out.write('before disabling the old KMS key, run again until a run reports 0 rewrapped and 0 failed.\n');
    }
    // Embedded mode had the store to itself (no server running), so nothing raced this run.
    if (config.mode === 'embedded' && summary.secrets > 0 && !args.prefix) {
      out.write(
        `every secret is under ${summary.keyId}. Retired master keys in ${join(config.dataDir, 'retired-keys')}/ still open copies of the store made before this run; delete them once no such backup is needed.\n`,
      );
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await assembled?.close();
    audit.close();
  }
}

if (require.main === module) {
  // The lock can still surface from inside dynalite (a server started between the probe and
  // the open): name the cause rather than print "Database is closed".
  process.on('uncaughtException', (error) => {
    const locked = isLockError(error) || /Database is closed/.test(error.message);
    process.stderr.write(
      locked
        ? `rewrap failed: ${new StoreInUseError('the embedded store').message}\n`
        : `rewrap failed: ${failureReason(error)}: ${error.message}\n`,
    );
    process.exit(1);
  });
  main(process.argv.slice(2), process.env, process.stdout, process.stderr).then(
    (code) => process.exit(code),
    (error: Error) => {
      // Start-up errors (config, lock, key service) carry no secret; DependencyError's detail is its log line.
      const text =
        error instanceof StoreInUseError || error.name === 'ConfigError'
          ? error.message
          : error instanceof DependencyError
            ? `${failureReason(error)}: ${error.detail}`
            : `${failureReason(error)}: ${error.message}`;
      process.stderr.write(`rewrap failed: ${text}\n`);
      process.exit(1);
    },
  );
}
