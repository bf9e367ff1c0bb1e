import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { assertStoreFree } from '../../adapters/dynamodb/store-lock';
import { adaptersFor } from '../../composition/compose';
import { ConfigError, loadConfig } from '../../config';
import { assertValidPath } from '../../core/paths';
import type { TrailRecord, TrailStore } from '../../core/ports';
import { unrecordedChanges, verifyTrail } from '../../core/trail-verify';
import { onInterrupt } from '../interrupts';
import { ProgressReporter } from '../progress';
import { formatVerifyReport } from './report';

type Out = NodeJS.WritableStream & { isTTY?: boolean };

export const USAGE = `usage: kms-vault audit verify [--path P] [--since T] [--json]

Walks the access trail's hash chains and reports records altered, records removed from the
middle of a chain, forged or removed checkpoints, chains cut back or removed whole (as other
chains' checkpoints witnessed them), and how much of each chain's tail no checkpoint covers yet.
  --path P     only the chains holding records of the secret at P; also lists the secret's
               versions and lifecycle changes that no record accounts for
  --since T    only chains active since T (ISO-8601), each read from its last checkpoint before T
  --json       the report as JSON on stdout
Checkpoints younger than 10 s are left for the next run (the chain index lags a little).
Needs the durable trail (VAULT_AUDIT=durable, the default in AWS mode) and the vault's MAC key.
Embedded mode needs \`npm start\` stopped: its on-disk store opens in one process at a time.
Exit status: 0 nothing found, 1 a finding, 2 usage or no durable trail, 130 interrupted.`;

/** `audit verify` (mounted as `kms-vault audit verify` by the CLI dispatcher): returns the exit status. */
export async function auditVerifyCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: Out,
  err: Out,
  now: () => Date = () => new Date(),
): Promise<number> {
  let values: { path?: string | undefined; since?: string | undefined; json: boolean; help: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        path: { type: 'string' },
        since: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
    if (values.path !== undefined) assertValidPath(values.path);
    if (values.since !== undefined && !(/^\d{4}-\d{2}-\d{2}/.test(values.since) && Date.parse(values.since) >= 0))
      throw new Error('--since must be an ISO-8601 instant, e.g. 2026-01-01T00:00:00Z');
  } catch (error) {
    err.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig(env);
  if (config.mode === 'lambda')
    throw new ConfigError('audit verify runs outside Lambda (unset AWS_LAMBDA_FUNCTION_NAME)');
  if (config.audit.mode !== 'durable') {
    err.write(
      'the durable access trail is off (VAULT_AUDIT=log): there is nothing to verify; set VAULT_AUDIT=durable\n',
    );
    return 2;
  }
  if (config.mode === 'embedded') await assertStoreFree(join(config.dataDir, 'dynamodb'));
  const since = values.since === undefined ? undefined : new Date(values.since).toISOString();
  const interrupt = onInterrupt('chain', out, err);
  const adapters = await adaptersFor(config).catch((error: unknown) => {
    interrupt.dispose();
    throw error;
  });
  try {
    if (!adapters.trail) throw new ConfigError('the durable access trail has no table adapter in this mode');
    const where = [
      values.path !== undefined && `holding ${values.path}`,
      since !== undefined ? `active since ${since}` : `within ${config.audit.retentionDays} days`,
    ]
      .filter(Boolean)
      .join(', ');
    const log = values.json ? err : out;
    log.write(`kms-vault audit verify (${adapters.describe}); trail ${config.audit.tableName}; chains ${where}\n`);
    const progress = new ProgressReporter({ out: log, isTTY: Boolean(log.isTTY), now: Date.now, unit: 'chains' });
    let processed = 0;
    let withFindings = 0;
    const counts = (total?: number) => ({
      processed,
      ...(total !== undefined && { total }),
      tally: { clean: processed - withFindings, findings: withFindings },
    });
    let total: number | undefined;
    const report = await verifyTrail({
      source: adapters.trail,
      macs: adapters.macs,
      now: now(),
      retentionDays: config.audit.retentionDays,
      ...(values.path !== undefined && { path: values.path }),
      ...(since !== undefined && { since }),
      signal: interrupt.signal,
      onChains: (n) => {
        total = n;
        progress.start(counts(total));
      },
      onChain: (chain) => {
        processed += 1;
        if (chain.findings.length > 0) withFindings += 1;
        progress.update(counts(total));
      },
    });
    progress.finish(counts(total));
    if (values.path !== undefined) {
      // The secret's own account of its changes: a change whose record failed (a 503) shows here.
      const head = await adapters.store.getHead(values.path);
      if (head) {
        const records = await allRecords(adapters.trail, values.path);
        report.findings.push(...unrecordedChanges(head, records, now(), config.audit.retentionDays));
      }
    }
    if (values.json) out.write(`${JSON.stringify(report, null, 2)}\n`);
    else out.write(formatVerifyReport(report, where));
    if (report.interrupted) return 130;
    return report.findings.length > 0 ? 1 : 0;
  } finally {
    interrupt.dispose();
    await adapters.close();
  }
}

/** Every record of one path, newest first. */
async function allRecords(trail: TrailStore, path: string): Promise<TrailRecord[]> {
  const records: TrailRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await trail.history({
      path,
      since: '1970-01-01T00:00:00.000Z',
      until: '9999-12-31T23:59:59.999Z',
      limit: 100,
      ...(cursor !== undefined && { cursor }),
    });
    records.push(...page.records);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return records;
}
