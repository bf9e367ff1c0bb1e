import { parseArgs } from 'node:util';
import { LOCAL_ADMIN } from '../../config';
import { assertValidPrefix } from '../../core/paths';

export const USAGE = `usage: kms-vault rewrap [--prefix P] [--rotate-local-key] [--concurrency N] [--page-size N]
                        [--principal ARN] [--audit-log FILE]      (or: npm run rewrap -- [options])

Rewraps every retained version of every secret under P (default: all) under the current key.
  --prefix P           only secrets whose path starts with P
  --rotate-local-key   embedded mode: retire the local master key and create a new one first
                       (rerun an interrupted move WITHOUT this flag)
  --concurrency N      secrets rewrapped at once, 1..32 (default 4)
  --page-size N        secrets per list page, 1..1000 (default 100)
  --principal ARN      operator principal for the vault policy and audit (default
                       $VAULT_OPERATOR_PRINCIPAL, else ${LOCAL_ADMIN})
  --audit-log FILE     where audit records go (default <VAULT_DATA_DIR>/rewrap-audit.jsonl)
Embedded mode needs \`npm start\` stopped: its on-disk store opens in one process at a time.
Exit status: 0 all done, 1 something failed (rerun to retry), 2 bad arguments, 7 the store is in use,
130 interrupted (rerun to finish).`;

export class UsageError extends Error {}

export interface CliArgs {
  prefix: string;
  rotateLocalKey: boolean;
  concurrency: number;
  pageSize: number;
  principal?: string;
  auditLog?: string;
  help: boolean;
}

const parse = (argv: string[]) =>
  parseArgs({
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
  });

export function parseCliArgs(argv: string[]): CliArgs {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
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
