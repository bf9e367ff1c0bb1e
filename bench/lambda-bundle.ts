import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';

const ROOT = resolve(__dirname, '..');

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

if (require.main === module) {
  // `npx tsx bench/lambda-bundle.ts`: the bundle's figures alone (size, init, cold and warm
  // reads), measured by bundle.ts; `BENCH_ONLY=bundle npm run bench` adds the verdicts.
  // Required here, not imported at the top: bundle.ts imports this module.
  const { measureLambdaBundle } = require('./bundle') as typeof import('./bundle');
  measureLambdaBundle((line) => process.stderr.write(`${line}\n`)).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
