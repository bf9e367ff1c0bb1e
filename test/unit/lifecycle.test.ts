import { SecretGoneError, SecretNotFoundError, VersionConflictError } from '../../src/core/errors';
import type { VersionState } from '../../src/core/ports';
import { coreVault } from '../support/vault';

type Op = 'delete' | 'undelete' | 'destroy';
type Start = VersionState | 'absent';
type Outcome = VersionState | 'not_found' | 'version_destroyed';

/** Every lifecycle transition from every state: the expected state or error. */
const TABLE: Record<Op, Record<Start, Outcome>> = {
  delete: { active: 'deleted', deleted: 'deleted', destroyed: 'version_destroyed', absent: 'not_found' },
  undelete: { active: 'active', deleted: 'active', destroyed: 'version_destroyed', absent: 'not_found' },
  destroy: { active: 'destroyed', deleted: 'destroyed', destroyed: 'destroyed', absent: 'not_found' },
};

async function secretWithVersion1In(start: Start) {
  const t = coreVault();
  await t.vault.put(t.admin, 'life/cycle', { value: 'one' });
  await t.vault.put(t.admin, 'life/cycle', { value: 'two' });
  if (start === 'deleted') await t.vault.delete(t.admin, 'life/cycle', { versions: [1] });
  if (start === 'destroyed') await t.vault.destroy(t.admin, 'life/cycle', { versions: [1] });
  return t;
}

const stateOf = async (t: ReturnType<typeof coreVault>, version: number) =>
  (await t.vault.describe(t.admin, 'life/cycle')).versions.find((v) => v.version === version)?.state;

describe('lifecycle state machine', () => {
  for (const op of Object.keys(TABLE) as Op[]) {
    for (const start of Object.keys(TABLE[op]) as Start[]) {
      for (const withCas of [false, true]) {
        const expected = TABLE[op][start];
        it(`${op} from ${start}${withCas ? ' with matching cas' : ''} -> ${expected}`, async () => {
          const t = await secretWithVersion1In(start);
          const version = start === 'absent' ? 7 : 1;
          const input = { versions: [version], ...(withCas && { cas: 2 }) };
          const before = await t.vault.describe(t.admin, 'life/cycle');
          const result = t.vault[op](t.admin, 'life/cycle', input);
          if (expected === 'not_found') {
            await expect(result).rejects.toThrow(SecretNotFoundError);
          } else if (expected === 'version_destroyed') {
            await expect(result).rejects.toMatchObject({ code: 'version_destroyed' });
          } else {
            await result;
            expect(await stateOf(t, version)).toBe(expected);
          }
          if (expected === 'not_found' || expected === 'version_destroyed') {
            expect(await t.vault.describe(t.admin, 'life/cycle')).toEqual(before);
          }
          // Version 2 is never touched by an operation on version 1.
          expect(await stateOf(t, 2)).toBe('active');
        });
      }
      it(`${op} from ${start} with a stale cas -> 409 and nothing changes`, async () => {
        const t = await secretWithVersion1In(start);
        const before = await t.vault.describe(t.admin, 'life/cycle');
        const writes = t.store.writes;
        await expect(
          t.vault[op](t.admin, 'life/cycle', { versions: [start === 'absent' ? 7 : 1], cas: 1 }),
        ).rejects.toThrow(VersionConflictError);
        expect(await t.vault.describe(t.admin, 'life/cycle')).toEqual(before);
        expect(t.store.writes).toBe(writes);
      });
    }
  }

  it('reads answer by state: active 200, deleted 410 version_deleted, destroyed 410 version_destroyed, never written 404', async () => {
    const t = await secretWithVersion1In('active');
    await expect(t.vault.get(t.admin, 'life/cycle', 1)).resolves.toMatchObject({ value: 'one' });
    await t.vault.delete(t.admin, 'life/cycle', { versions: [1] });
    await expect(t.vault.get(t.admin, 'life/cycle', 1)).rejects.toMatchObject({ code: 'version_deleted' });
    await t.vault.undelete(t.admin, 'life/cycle', { versions: [1] });
    await expect(t.vault.get(t.admin, 'life/cycle', 1)).resolves.toMatchObject({ value: 'one' });
    await t.vault.destroy(t.admin, 'life/cycle', { versions: [1] });
    await expect(t.vault.get(t.admin, 'life/cycle', 1)).rejects.toMatchObject({ code: 'version_destroyed' });
    await expect(t.vault.get(t.admin, 'life/cycle', 3)).rejects.toThrow(SecretNotFoundError);
    await expect(t.vault.get(t.admin, 'never/was')).rejects.toThrow(SecretNotFoundError);
  });

  it('delete without versions soft-deletes the current version; reading the secret then answers 410', async () => {
    const t = await secretWithVersion1In('active');
    await t.vault.delete(t.admin, 'life/cycle', {});
    await expect(t.vault.get(t.admin, 'life/cycle')).rejects.toBeInstanceOf(SecretGoneError);
    await expect(t.vault.get(t.admin, 'life/cycle', 1)).resolves.toMatchObject({ value: 'one' });
    await t.vault.undelete(t.admin, 'life/cycle', { versions: [2] });
    await expect(t.vault.get(t.admin, 'life/cycle')).resolves.toMatchObject({ value: 'two' });
  });

  it('destroy erases the ciphertext and wrapped key: nothing is left in the raw items', async () => {
    const t = await secretWithVersion1In('active');
    await t.vault.destroy(t.admin, 'life/cycle', { versions: [1, 2] });
    expect(t.store.versions.get('life/cycle#1')).toBe('erased');
    expect(t.store.heads.get('life/cycle')!.envelope).toBeUndefined();
    // A new write after destroying the current version works and starts a fresh version.
    await t.vault.put(t.admin, 'life/cycle', { value: 'three' });
    await expect(t.vault.get(t.admin, 'life/cycle')).resolves.toMatchObject({ version: 3, value: 'three' });
    await expect(t.vault.get(t.admin, 'life/cycle', 2)).rejects.toMatchObject({ code: 'version_destroyed' });
  });

  it('destroyAll erases every item; the path can be written again from version 1', async () => {
    const t = await secretWithVersion1In('active');
    await expect(t.vault.destroyAll(t.admin, 'life/cycle', 1)).rejects.toThrow(VersionConflictError);
    await t.vault.destroyAll(t.admin, 'life/cycle', 2);
    expect(t.store.heads.size).toBe(0);
    expect(t.store.versions.size).toBe(0);
    await expect(t.vault.describe(t.admin, 'life/cycle')).rejects.toThrow(SecretNotFoundError);
    await expect(t.vault.destroyAll(t.admin, 'life/cycle')).rejects.toThrow(SecretNotFoundError);
    await expect(t.vault.put(t.admin, 'life/cycle', { value: 'again' })).resolves.toMatchObject({
      created: true,
      metadata: expect.objectContaining({ version: 1 }),
    });
  });

  it('a stale writer cannot restore a version destroyed under it', async () => {
    const t = await secretWithVersion1In('active');
    // Writer A reads HEAD (version 2), then version 2 is destroyed, then A copies and commits.
    const realGetHead = t.store.getHead.bind(t.store);
    let first = true;
    t.store.getHead = async (path: string) => {
      const head = await realGetHead(path);
      if (first) {
        first = false;
        await t.vault.destroy(t.admin, 'life/cycle', { versions: [2] });
      }
      return head;
    };
    await t.vault.put(t.admin, 'life/cycle', { value: 'three' });
    expect(t.store.versions.get('life/cycle#2')).toBe('erased');
    await expect(t.vault.get(t.admin, 'life/cycle', 2)).rejects.toMatchObject({ code: 'version_destroyed' });
    await expect(t.vault.get(t.admin, 'life/cycle')).resolves.toMatchObject({ version: 3, value: 'three' });
  });
});

describe('retention', () => {
  it.each([1, 3, 10])(
    'never keeps more than maxVersions=%i; older versions leave no ciphertext',
    async (maxVersions) => {
      const t = coreVault({ maxVersions, retentionMinAgeHours: 0 });
      for (let i = 1; i <= 15; i++) {
        await t.vault.put(t.admin, 'keep/few', { value: `v${i}` });
        const meta = await t.vault.describe(t.admin, 'keep/few');
        expect(meta.versions.length).toBeLessThanOrEqual(maxVersions);
        const stored = [...t.store.versions.keys()].filter((k) => k.startsWith('keep/few#')).length;
        expect(stored).toBeLessThanOrEqual(maxVersions - 1);
      }
      const meta = await t.vault.describe(t.admin, 'keep/few');
      expect(meta.versions.map((v) => v.version)).toEqual(
        Array.from({ length: maxVersions }, (_, i) => 16 - maxVersions + i),
      );
      await expect(t.vault.get(t.admin, 'keep/few', 15 - maxVersions)).rejects.toMatchObject({
        code: 'version_destroyed',
      });
      await expect(t.vault.get(t.admin, 'keep/few', 16 - maxVersions)).resolves.toMatchObject({
        value: `v${16 - maxVersions}`,
      });
      await expect(t.vault.get(t.admin, 'keep/few')).resolves.toMatchObject({ value: 'v15' });
    },
  );
});
