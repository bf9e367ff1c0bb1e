import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';

const ROOT = resolve(__dirname, '..');

/** Budget from DESIGN.md: one minified file of at most 1 MB, module init at most 150 ms. */
export const BUNDLE_BUDGET = { maxBytes: 1024 * 1024, maxInitMs: 150 };

/**
 * The options serverless.yml gives serverless-esbuild (custom.esbuild), minus the plugins'
 * path; test/deploy/cloudformation.test.ts checks that the two agree.
 */
export const LAMBDA_ESBUILD_OPTIONS = {
  bundle: true,
  minify: true,
  sourcemap: false,
  target: 'node22',
  platform: 'node',
  format: 'cjs',
  mainFields: ['module', 'main'],
  legalComments: 'none',
  external: [] as string[],
} as const satisfies BuildOptions;

/** The plugins serverless.yml names (custom.esbuild.plugins). */
export const LAMBDA_ESBUILD_PLUGINS_FILE = 'infra/esbuild-plugins.js';

export interface BuiltBundle {
  /** The bundle file, `<outdir>/lambda.js`, exporting `handler`. */
  file: string;
  bytes: number;
  metafile: Metafile;
}

/** Builds src/lambda.ts as serverless-esbuild does for the deploy, into `outdir`. */
export async function buildLambdaBundle(outdir: string): Promise<BuiltBundle> {
  const plugins = require(join(ROOT, LAMBDA_ESBUILD_PLUGINS_FILE)) as Plugin[];
  const file = join(outdir, 'lambda.js');
  const result = await build({
    ...LAMBDA_ESBUILD_OPTIONS,
    external: [...LAMBDA_ESBUILD_OPTIONS.external],
    mainFields: [...LAMBDA_ESBUILD_OPTIONS.mainFields],
    plugins,
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, 'src/lambda.ts')],
    outfile: file,
    metafile: true,
    logLevel: 'error',
  });
  return { file, bytes: statSync(file).size, metafile: result.metafile };
}

/**
 * Settings for loading the bundle. Module init does no I/O (config and clients are built on
 * the first invocation), so no server has to answer.
 */
export function benchBundleEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    VAULT_KMS_KEY_ID: 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555',
    VAULT_KMS_MAC_KEY_ID: 'arn:aws:kms:eu-west-1:111122223333:key/22222222-2222-3333-4444-555555555555',
    VAULT_TABLE_NAME: 'kms-vault-bench',
    VAULT_POLICY: JSON.stringify({
      rules: [
        {
          principals: ['arn:aws:iam::111122223333:role/trading-engine'],
          actions: ['read', 'describe'],
          paths: ['exchange-keys/*'],
        },
      ],
    }),
  };
}

const run = promisify(execFile);

/** Milliseconds that `require(file)` takes in a fresh node process, measured inside it. */
async function initOnce(file: string): Promise<number> {
  const script = [
    'const start = process.hrtime.bigint();',
    `const mod = require(${JSON.stringify(file)});`,
    'const ms = Number(process.hrtime.bigint() - start) / 1e6;',
    "if (typeof mod.handler !== 'function') throw new Error('the bundle exports no handler');",
    'process.stdout.write(JSON.stringify({ ms }));',
  ].join('\n');
  const { stdout } = await run(process.execPath, ['-e', script], { env: benchBundleEnv(), cwd: tmpdir() });
  return (JSON.parse(stdout) as { ms: number }).ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Builds the Lambda bundle and measures its size and its median module init time over 9
 * fresh node processes, one after another (so they do not compete for the CPU).
 */
export async function measureBundle(): Promise<{ bundleBytes: number; initMsMedian: number; initMsAll: number[] }> {
  const outdir = mkdtempSync(join(tmpdir(), 'kms-vault-bundle-'));
  try {
    const bundle = await buildLambdaBundle(outdir);
    const initMsAll: number[] = [];
    for (let i = 0; i < 9; i += 1) initMsAll.push(await initOnce(bundle.file));
    return { bundleBytes: bundle.bytes, initMsMedian: median(initMsAll), initMsAll };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  measureBundle().then(
    (result) => {
      const within = result.bundleBytes <= BUNDLE_BUDGET.maxBytes && result.initMsMedian <= BUNDLE_BUDGET.maxInitMs;
      console.log(JSON.stringify({ ...result, budget: BUNDLE_BUDGET, withinBudget: within }, null, 2));
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
