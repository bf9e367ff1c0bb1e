import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The import rules docs/architecture.md states, checked on the source: the core stays free of
 * frameworks, SDKs and the environment; auth does not lean on http; one place builds KMS.
 */
const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import|require\()\s*'([^']+)'/g)].map((m) => m[1]!);
}

const files = sources(SRC);
const under = (folder: string) => files.filter((file) => relative(SRC, file).startsWith(`${folder}/`));

describe('module boundaries', () => {
  it('finds the source tree (a rule over no files would pass for nothing)', () => {
    expect(under('core').length).toBeGreaterThan(10);
    expect(under('adapters/auth').length).toBeGreaterThan(3);
  });

  it('keeps the core free of adapters, express, the AWS SDK, dynalite and process.env', () => {
    const offences = under('core').flatMap((file) => {
      const found = importsOf(file).filter((spec) =>
        /^(express|@aws-sdk\/|@smithy\/|dynalite|@codegenie\/)|\/adapters\/|\/composition\/|\.\.\/config$/.test(spec),
      );
      if (/process\.env/.test(readFileSync(file, 'utf8'))) found.push('process.env');
      return found.map((spec) => `${relative(ROOT, file)}: ${spec}`);
    });
    expect(offences).toEqual([]);
  });

  it('keeps auth independent of the HTTP adapter', () => {
    const offences = under('adapters/auth').flatMap((file) =>
      importsOf(file)
        .filter((spec) => /(^|\/)http\//.test(spec) || spec === 'express')
        .map((spec) => `${relative(ROOT, file)}: ${spec}`),
    );
    expect(offences).toEqual([]);
  });

  it('builds the KMS key provider in one place', () => {
    const builders = files.filter((file) => readFileSync(file, 'utf8').includes('new KmsKeyProvider('));
    expect(builders.map((file) => relative(ROOT, file))).toEqual(['src/composition/aws-adapters.ts']);
  });

  it('never reaches outside the project tree', () => {
    const tracked = [...files, ...sources(join(ROOT, 'test')), ...sources(join(ROOT, 'bench'))];
    const outside = ['..', 'shared'].join('/'); // spelled apart so this file does not match itself
    const offences = tracked.filter((file) => readFileSync(file, 'utf8').includes(outside));
    expect(offences.map((file) => relative(ROOT, file))).toEqual([]);
  });
});
