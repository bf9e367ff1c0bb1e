import { randomBytes } from 'node:crypto';
import { FORMAT_ID } from '../../src/core/envelope';
import { VersionConflictError } from '../../src/core/errors';
import type { Envelope, SecretHead, SecretStore } from '../../src/core/ports';

const envelope = (tag: number): Envelope => ({
  alg: FORMAT_ID,
  iv: randomBytes(12),
  ct: Buffer.from([tag, ...randomBytes(20)]),
  edk: randomBytes(40),
  kid: `key-${tag}`,
});

function head(path: string, version: number, rev: number, extra: Partial<SecretHead> = {}): SecretHead {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    path,
    version,
    rev,
    envelope: envelope(version),
    labels: { team: 'trading' },
    createdAt: at,
    createdBy: 'arn:aws:iam::111122223333:role/a',
    updatedAt: at,
    updatedBy: 'arn:aws:iam::111122223333:role/a',
    currentSince: at,
    rotationDueAt: '2026-01-31T00:00:00.000Z',
    versions: Array.from({ length: version }, (_, i) => ({
      version: i + 1,
      createdAt: at,
      createdBy: 'arn:aws:iam::111122223333:role/a',
      state: 'active' as const,
    })),
    ...extra,
  };
}

/**
 * The behaviour every SecretStore must have (Vault's ExerciseBackend idea): one suite, run
 * against each implementation, so a fake cannot drift from the real adapter.
 */
export function secretStoreContract(name: string, makeStore: () => Promise<SecretStore>): void {
  describe(`SecretStore contract: ${name}`, () => {
    let store: SecretStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('creates a secret and reads it back consistently, envelope and metadata intact', async () => {
      const h = head('a/b', 1, 1);
      await store.createHead(h);
      const read = await store.getHead('a/b');
      expect(read).toEqual(h);
      expect(Buffer.isBuffer(read!.envelope!.ct)).toBe(true);
      expect(await store.getHead('a/c')).toBeUndefined();
    });

    it('refuses a second create of the same path', async () => {
      await store.createHead(head('a/b', 1, 1));
      await expect(store.createHead(head('a/b', 1, 1))).rejects.toThrow(VersionConflictError);
    });

    it('writes a new version on the current rev and refuses a stale rev', async () => {
      await store.createHead(head('a/b', 1, 1));
      await store.replaceHead(head('a/b', 2, 2), 1);
      await expect(store.replaceHead(head('a/b', 3, 3), 1)).rejects.toThrow(VersionConflictError);
      expect((await store.getHead('a/b'))!.version).toBe(2);
      await expect(store.replaceHead(head('a/x', 1, 2), 1)).rejects.toThrow(VersionConflictError);
    });

    it('keeps version copies immutable and reads version n', async () => {
      const first = envelope(1);
      expect(await store.putVersion('a/b', 1, first)).toBe(true);
      expect(await store.putVersion('a/b', 1, envelope(9))).toBe(false);
      expect(await store.getVersion('a/b', 1)).toEqual(first);
      expect(await store.getVersion('a/b', 2)).toBeUndefined();
    });

    it('an erased version stays erased: a stale copy cannot restore it', async () => {
      await store.putVersion('a/b', 1, envelope(1));
      await store.eraseVersion('a/b', 1);
      expect(await store.getVersion('a/b', 1)).toBeUndefined();
      expect(await store.putVersion('a/b', 1, envelope(1))).toBe(false);
      expect(await store.getVersion('a/b', 1)).toBeUndefined();
      expect(await store.listVersionItems('a/b')).toEqual([1]);
      await store.removeVersion('a/b', 1);
      expect(await store.listVersionItems('a/b')).toEqual([]);
    });

    it('replaces a version envelope only while the expected wrapped key is stored', async () => {
      const first = envelope(1);
      await store.putVersion('a/b', 1, first);
      const moved = { ...first, edk: randomBytes(40), kid: 'key-new' };
      await store.replaceVersionEnvelope('a/b', 1, moved, first.edk);
      expect(await store.getVersion('a/b', 1)).toEqual(moved);
      await expect(store.replaceVersionEnvelope('a/b', 1, first, first.edk)).rejects.toThrow(VersionConflictError);
      await store.eraseVersion('a/b', 1);
      await expect(store.replaceVersionEnvelope('a/b', 1, first, moved.edk)).rejects.toThrow(VersionConflictError);
    });

    it('deletes the HEAD only on the current rev', async () => {
      await store.createHead(head('a/b', 1, 1));
      await expect(store.deleteHead('a/b', 5)).rejects.toThrow(VersionConflictError);
      await store.deleteHead('a/b', 1);
      expect(await store.getHead('a/b')).toBeUndefined();
    });

    it('lists by prefix in path order across pages, metadata only', async () => {
      for (let i = 0; i < 25; i++) await store.createHead(head(`team-a/s${String(i).padStart(2, '0')}`, 1, 1));
      await store.createHead(head('team-b/x', 1, 1));
      await store.putVersion('team-a/s00', 1, envelope(1));
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list({ prefix: 'team-a/', limit: 10, ...(cursor && { cursor }) });
        for (const item of page.items) {
          expect(item).not.toHaveProperty('envelope');
          seen.push(item.path);
        }
        cursor = page.cursor;
        pages += 1;
      } while (cursor && pages < 10);
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `team-a/s${String(i).padStart(2, '0')}`));
      expect(pages).toBeGreaterThanOrEqual(3);
      const all = await store.list({ prefix: '', limit: 100 });
      expect(all.items.map((i) => i.path)).toContain('team-b/x');
    });

    it('resumes a listing right after any returned item with cursorAfter', async () => {
      for (let i = 0; i < 6; i++)
        await store.createHead(head(`c/s${i}`, 1, 1, { rotationDueAt: `2026-01-0${i + 1}T00:00:00.000Z` }));
      for (const query of [
        { prefix: 'c/', limit: 10 },
        { prefix: 'c/', limit: 10, rotationDueBefore: '2026-02-01T00:00:00.000Z' },
        { prefix: 'c/', limit: 10, rotationDueBefore: '2026-02-01T00:00:00.000Z', order: 'due' as const },
      ]) {
        const first = await store.list(query);
        expect(first.items.map((i) => i.path)).toEqual(['c/s0', 'c/s1', 'c/s2', 'c/s3', 'c/s4', 'c/s5']);
        const rest = await store.list({ ...query, cursor: store.cursorAfter(first.items[2]!, query) });
        expect(rest.items.map((i) => i.path)).toEqual(['c/s3', 'c/s4', 'c/s5']);
      }
    });

    it('lists secrets due for rotation by due date', async () => {
      await store.createHead(head('r/early', 1, 1, { rotationDueAt: '2026-01-10T00:00:00.000Z' }));
      await store.createHead(head('r/late', 1, 1, { rotationDueAt: '2026-03-10T00:00:00.000Z' }));
      await store.createHead(head('q/early', 1, 1, { rotationDueAt: '2026-01-11T00:00:00.000Z' }));
      const due = { rotationDueBefore: '2026-02-01T00:00:00.000Z', order: 'due' as const };
      const page = await store.list({ prefix: '', limit: 10, ...due });
      expect(page.items.map((i) => i.path)).toEqual(['r/early', 'q/early']);
      const scoped = await store.list({ prefix: 'r/', limit: 10, ...due });
      expect(scoped.items.map((i) => i.path)).toEqual(['r/early']);
    });

    it('lists secrets due for rotation in path order, the due date as a filter', async () => {
      await store.createHead(head('r/late', 1, 1, { rotationDueAt: '2026-03-10T00:00:00.000Z' }));
      await store.createHead(head('r/early', 1, 1, { rotationDueAt: '2026-01-10T00:00:00.000Z' }));
      await store.createHead(head('r/earlier', 1, 1, { rotationDueAt: '2026-01-01T00:00:00.000Z' }));
      const page = await store.list({ prefix: 'r/', limit: 10, rotationDueBefore: '2026-02-01T00:00:00.000Z' });
      expect(page.items.map((i) => i.path)).toEqual(['r/earlier', 'r/early']);
    });
  });
}
