import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertStoreFree } from '../../adapters/dynamodb/store-lock';
import { LocalKeyProvider } from '../../adapters/local-keys/local-key-provider';
import { fileLogger } from '../../adapters/log/logger';
import { compose } from '../../composition/compose';
import { ConfigError, loadConfig } from '../../config';
import { normalisePrincipal } from '../../core/principal';
import { EXIT } from '../exit-codes';
import { onInterrupt } from '../interrupts';
import { type CliArgs, parseCliArgs, USAGE } from './args';
import { runRewrap } from './walk';

type Out = NodeJS.WritableStream & { isTTY?: boolean };

/** `rewrap`: the options are in USAGE; returns the exit status. */
export async function rewrapCommand(argv: string[], env: NodeJS.ProcessEnv, out: Out, err: Out): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (error) {
    err.write(`${(error as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (args.help) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig(env);
  if (config.mode === 'lambda') throw new ConfigError('rewrap runs outside Lambda (unset AWS_LAMBDA_FUNCTION_NAME)');
  let principal: string;
  try {
    principal = normalisePrincipal(args.principal ?? config.operatorPrincipal);
  } catch {
    err.write('the operator principal must be an IAM role, user or assumed-role ARN (--principal)\n');
    return EXIT.usage;
  }
  if (args.rotateLocalKey && config.mode !== 'embedded') {
    err.write(
      '--rotate-local-key is for embedded mode. In AWS mode, point VAULT_KMS_KEY_ID (or its alias) at the new KMS key and run rewrap.\n',
    );
    return EXIT.usage;
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
  // Audit goes to its own file, never to the terminal the progress bar is drawn on.
  const audit = fileLogger(auditFile, 'rewrap-cli');
  // A second interrupt is safe at any point: rewrap moves version items before the HEAD.
  const interrupt = onInterrupt('secrets', out, err);
  const composed = await compose(config, { logger: audit }).catch((error: unknown) => {
    interrupt.dispose();
    audit.close();
    throw error;
  });
  try {
    const keyId = await composed.keys.currentKeyId();
    out.write(
      `kms-vault rewrap (${composed.describe}); current key ${keyId}; as ${principal}; audit in ${auditFile}\n`,
    );
    const summary = await runRewrap({
      vault: composed.vault,
      prefix: args.prefix,
      out,
      isTTY: Boolean(out.isTTY),
      pageSize: args.pageSize,
      concurrency: args.concurrency,
      principal,
      signal: interrupt.signal,
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
    interrupt.dispose();
    await composed.close();
    audit.close();
  }
}
