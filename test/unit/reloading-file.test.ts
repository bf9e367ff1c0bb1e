import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reloadingFile } from '../../src/adapters/local-files/reloading-file';
import { MemoryLogger } from '../support/memory-logger';

describe('a file the server reloads', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kms-vault-reload-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = (file: string) => {
    const parsed = JSON.parse(require('node:fs').readFileSync(file, 'utf8')) as { n?: unknown };
    if (typeof parsed.n !== 'number') throw new Error(`no number in ${JSON.stringify(parsed)}`);
    return parsed.n;
  };

  it('takes a valid change, refuses an invalid one (keeping the old, one log line, no content), then takes the next', () => {
    const file = join(dir, 'f.json');
    writeFileSync(file, '{"n":1}');
    const logger = new MemoryLogger();
    const watched = reloadingFile(file, { load, initial: 1, intervalMs: 60_000, logger, what: 'test' });
    try {
      watched.check();
      expect(logger.records).toEqual([]);
      writeFileSync(file, '{"n":2, "pad": 1}');
      watched.check();
      expect(watched.current()).toBe(2);
      writeFileSync(file, '{"secret":"s3cr3t-never-logged"}');
      watched.check();
      watched.check();
      expect(watched.current()).toBe(2);
      expect(logger.records.map((r) => r.outcome)).toEqual(['loaded', 'refused']);
      expect(logger.records[1]).toMatchObject({ type: 'reload', what: 'test', file, reason: 'invalid' });
      expect(logger.text()).not.toContain('s3cr3t');
      rmSync(file);
      watched.check();
      expect(watched.current()).toBe(2);
      writeFileSync(file, '{"n":3}');
      watched.check();
      expect(watched.current()).toBe(3);
      expect(logger.records.map((r) => r.outcome)).toEqual(['loaded', 'refused', 'refused', 'loaded']);
    } finally {
      watched.close();
    }
  });

  it('checks on its own every interval', async () => {
    const file = join(dir, 'f.json');
    writeFileSync(file, '{"n":1}');
    const watched = reloadingFile(file, { load, initial: 1, intervalMs: 20, logger: new MemoryLogger(), what: 't' });
    try {
      writeFileSync(file, '{"n":42}');
      const deadline = Date.now() + 2000;
      while (watched.current() !== 42 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(watched.current()).toBe(42);
    } finally {
      watched.close();
    }
  });
});
