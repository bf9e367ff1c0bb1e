import { parsePolicy } from '../../src/core/policy';
import type { Caller } from '../../src/core/vault';
import type { CountingKeyProvider } from '../support/counting-key-provider';
import { ADMIN } from '../support/fakes';
import { coreVault } from '../support/vault';

const WRITER = 'arn:aws:iam::111122223333:role/user-api';
const DELETER = 'arn:aws:iam::111122223333:role/cleaner';
const writer: Caller = { principal: WRITER, requestId: 'w' };
const deleter: Caller = { principal: DELETER, requestId: 'd' };
const policy = parsePolicy({
  rules: [
    { principals: [ADMIN], actions: ['read', 'write', 'describe', 'list', 'delete', 'destroy'], paths: ['*'] },
    { principals: [WRITER], actions: ['write'], paths: ['exchange-keys/*'] },
    { principals: [DELETER], actions: ['delete'], paths: ['exchange-keys/*'] },
  ],
});
const HOUR = 3_600_000;
const PATH = 'exchange-keys/u1/okx';

describe('retention cannot be used to destroy recent history', () => {
  it('with only write, 12 writes in a minute leave version 1 readable (default minimum age 24 h)', async () => {
    const t = coreVault({ policy, maxVersions: 10 });
    for (let i = 1; i <= 12; i++) {
      await t.vault.put(writer, PATH, { value: `v${i}` });
      t.clock.advance(5_000);
    }
    await expect(t.vault.get(t.admin, PATH, 1)).resolves.toMatchObject({ value: 'v1' });
    expect((await t.vault.describe(t.admin, PATH)).versions).toHaveLength(12);
    expect(t.store.versions.get(`${PATH}#1`)).toBeDefined();
  });

  it('once versions are older than the minimum age, the next write trims to maxVersions', async () => {
    const t = coreVault({ policy, maxVersions: 10 });
    for (let i = 1; i <= 12; i++) await t.vault.put(writer, PATH, { value: `v${i}` });
    t.clock.advance(24 * HOUR + 1);
    await t.vault.put(writer, PATH, { value: 'v13' });
    const meta = await t.vault.describe(t.admin, PATH);
    expect(meta.versions.map((v) => v.version)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    await expect(t.vault.get(t.admin, PATH, 3)).rejects.toMatchObject({ code: 'version_destroyed' });
  });

  it('with VAULT_RETENTION_MIN_AGE_HOURS=0 retention trims at once, as before', async () => {
    const t = coreVault({ policy, maxVersions: 3, retentionMinAgeHours: 0 });
    for (let i = 1; i <= 5; i++) await t.vault.put(writer, PATH, { value: `v${i}` });
    expect((await t.vault.describe(t.admin, PATH)).versions.map((v) => v.version)).toEqual([3, 4, 5]);
  });

  it('at the ceiling a write is 409 too_many_versions and changes nothing, not even a data key', async () => {
    const t = coreVault({ policy, maxVersions: 3, versionCeiling: 5 });
    for (let i = 1; i <= 5; i++) await t.vault.put(writer, PATH, { value: `v${i}` });
    const keys = t.keys as CountingKeyProvider;
    const before = { rev: t.store.heads.get(PATH)!.rev, writes: t.store.writes, generated: keys.calls.generateDataKey };
    await expect(t.vault.put(writer, PATH, { value: 'v6' })).rejects.toMatchObject({ code: 'too_many_versions' });
    expect(t.store.writes).toBe(before.writes);
    expect(keys.calls.generateDataKey).toBe(before.generated);
    expect(t.store.heads.get(PATH)!.rev).toBe(before.rev);
  });

  it('destroyed versions are trimmed whatever their age: nothing is left of them to protect', async () => {
    const t = coreVault({ policy, maxVersions: 3, versionCeiling: 4 });
    for (let i = 1; i <= 4; i++) await t.vault.put(writer, PATH, { value: `v${i}` });
    await t.vault.destroy(t.admin, PATH, { versions: [1, 2] });
    await t.vault.put(writer, PATH, { value: 'v5' });
    expect((await t.vault.describe(t.admin, PATH)).versions.map((v) => v.version)).toEqual([3, 4, 5]);
  });

  it('explicit destroy still needs destroy, young or old', async () => {
    const t = coreVault({ policy });
    await t.vault.put(writer, PATH, { value: 'v1' });
    await expect(t.vault.destroy(writer, PATH, { versions: [1] })).rejects.toMatchObject({ code: 'access_denied' });
  });
});

describe('callers who may not describe learn no metadata from changes', () => {
  it('a writer gets only path and version back, on create and on update', async () => {
    const t = coreVault({ policy });
    await t.vault.put(t.admin, PATH, { value: 'v1', labels: { owner: 'someone-else' } });
    const result = await t.vault.put(writer, PATH, { value: 'v2' });
    expect(result).toEqual({ created: false, path: PATH, version: 2 });
  });

  it('a deleter gets only path and version back', async () => {
    const t = coreVault({ policy });
    await t.vault.put(t.admin, PATH, { value: 'v1' });
    await expect(t.vault.delete(deleter, PATH, {})).resolves.toEqual({ path: PATH, version: 1 });
    await expect(t.vault.undelete(deleter, PATH, { versions: [1] })).resolves.toEqual({ path: PATH, version: 1 });
  });

  it('a cas mismatch names the current version only to a caller who may describe', async () => {
    const t = coreVault({ policy });
    for (let i = 1; i <= 3; i++) await t.vault.put(t.admin, PATH, { value: `v${i}` });
    await expect(t.vault.put(writer, PATH, { value: 'x', cas: 1 })).rejects.toMatchObject({
      code: 'conflict',
      message: 'cas mismatch',
    });
    await expect(t.vault.put(t.admin, PATH, { value: 'x', cas: 1 })).rejects.toMatchObject({
      message: 'cas 1 does not match the current version 3',
    });
  });

  it('a caller who may describe gets the full metadata', async () => {
    const t = coreVault({ policy });
    const result = await t.vault.put(t.admin, PATH, { value: 'v1', labels: { a: 'b' } });
    expect(result.metadata).toMatchObject({ path: PATH, labels: { a: 'b' }, createdBy: ADMIN });
  });
});
