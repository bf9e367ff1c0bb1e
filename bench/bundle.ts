/**
 * (d) Lambda bundle size and module init time, measured by bench/lambda-bundle.ts
 * (`measureBundle()`), which is written separately. The import is resolved at run time so
 * this bench runs (and type-checks) whether or not that module exists yet.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const BUNDLE_BYTES_BUDGET = 1024 * 1024;
export const INIT_MS_BUDGET = 150;

export type BundleResults =
  | {
      status: 'measured';
      bundleBytes: number;
      initMsMedian: number;
      /** Every init sample, when measureBundle() reports them. */
      initMsAll?: number[];
      budget: { maxBundleBytes: number; maxInitMs: number; bundlePass: boolean; initPass: boolean; pass: boolean };
    }
  | { status: 'not-available'; note: string }
  | { status: 'error'; note: string };

interface BundleFigures {
  bundleBytes: number;
  initMsMedian: number;
  initMsAll?: number[];
}

interface BundleModule {
  measureBundle?: () => Promise<BundleFigures> | BundleFigures;
}

export async function measureLambdaBundle(): Promise<BundleResults> {
  const candidates = ['lambda-bundle.ts', 'lambda-bundle.js'].map((f) => join(__dirname, f));
  if (!candidates.some((f) => existsSync(f))) {
    return {
      status: 'not-available',
      note: 'bench/lambda-bundle.ts does not exist yet; bundle size and init time were not measured',
    };
  }
  try {
    // A computed specifier: tsc must not require the module to exist at compile time.
    const specifier = './lambda-bundle';
    const mod = (await import(specifier)) as BundleModule;
    if (typeof mod.measureBundle !== 'function')
      return { status: 'error', note: 'bench/lambda-bundle.ts does not export measureBundle()' };
    const figures = await mod.measureBundle();
    const bundleBytes = figures.bundleBytes;
    const initMsMedian = Math.round(figures.initMsMedian * 10) / 10;
    const bundlePass = bundleBytes <= BUNDLE_BYTES_BUDGET;
    const initPass = initMsMedian <= INIT_MS_BUDGET;
    return {
      status: 'measured',
      bundleBytes,
      initMsMedian,
      ...(Array.isArray(figures.initMsAll) && { initMsAll: figures.initMsAll.map((ms) => Math.round(ms * 10) / 10) }),
      budget: {
        maxBundleBytes: BUNDLE_BYTES_BUDGET,
        maxInitMs: INIT_MS_BUDGET,
        bundlePass,
        initPass,
        pass: bundlePass && initPass,
      },
    };
  } catch (error) {
    return { status: 'error', note: `measureBundle() failed: ${(error as Error).message}` };
  }
}
