import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { assertStoreFree } from '../../adapters/dynamodb/store-lock';
import { fileLogger } from '../../adapters/log/logger';
import { compose } from '../../composition/compose';
import { ConfigError, loadConfig } from '../../config';
import { assertValidPrefix } from '../../core/paths';
import { normalisePrincipal } from '../../core/principal';
import { onInterrupt } from '../interrupts';
import { runExchangeSweep } from './walk';

type Out = NodeJS.WritableStream & { isTTY?: boolean };

export const USAGE = `usage: kms-vault exchange-check [--prefix P] [--concurrency N] [--principal ARN] [--audit-log FILE]

Asks each exchange again what every stored exchange key under P (default: all) may do, and
records the answer on the secret (no new version). A key that gained withdraw, lost derivatives
or is now refused by its exchange is flagged: list them with GET /v1/metadata?flagged=true.
  --prefix P           only secrets whose path starts with P
  --concurrency N      keys checked at once, 1..8 (default 2; exchanges rate-limit)
  --principal ARN      who the walk acts as (default $VAULT_OPERATOR_PRINCIPAL); needs list,
                       describe and check in the vault policy
  --audit-log FILE     where audit records go (default <VAULT_DATA_DIR>/exchange-check-audit.jsonl)
Embedded mode needs \`npm start\` stopped: its on-disk store opens in one process at a time.
Exit status: 0 every key passed, 1 a key is flagged or failed, 2 usage, 130 interrupted.`;

/** `exchange-check`: returns the exit status. */
export async function exchangeCheckCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: Out,
  err: Out,
): Promise<number> {
  let values: {
    prefix: string;
    concurrency: string;
    principal?: string | undefined;
    'audit-log'?: string | undefined;
    help: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        prefix: { type: 'string', default: '' },
        concurrency: { type: 'string', default: '2' },
        principal: { type: 'string' },
        'audit-log': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
    assertValidPrefix(values.prefix);
  } catch (error) {
    err.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 8) {
    err.write(`--concurrency must be an integer from 1 to 8\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig(env);
  if (config.mode === 'lambda')
    throw new ConfigError('exchange-check runs outside Lambda (unset AWS_LAMBDA_FUNCTION_NAME)');
  const principal = normalisePrincipal(values.principal ?? config.operatorPrincipal);
  if (config.mode === 'embedded') await assertStoreFree(join(config.dataDir, 'dynamodb'));
  const auditFile = values['audit-log'] ?? join(config.dataDir, 'exchange-check-audit.jsonl');
  const audit = fileLogger(auditFile, 'exchange-check-cli');
  const interrupt = onInterrupt('keys', out, err);
  const composed = await compose(config, { logger: audit }).catch((error: unknown) => {
    interrupt.dispose();
    audit.close();
    throw error;
  });
  try {
    out.write(`kms-vault exchange-check (${composed.describe}); as ${principal}; audit in ${auditFile}\n`);
    const summary = await runExchangeSweep({
      vault: composed.vault,
      prefix: values.prefix,
      out,
      isTTY: Boolean(out.isTTY),
      principal,
      concurrency,
      signal: interrupt.signal,
    });
    if (summary.interrupted) return 130;
    return summary.flagged.length > 0 || summary.failed.length > 0 || summary.listError ? 1 : 0;
  } finally {
    interrupt.dispose();
    await composed.close();
    audit.close();
  }
}
