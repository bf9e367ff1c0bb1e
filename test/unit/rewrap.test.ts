import { randomBytes } from 'node:crypto';
import { KmsKeyProvider } from '../../src/adapters/kms/kms-key-provider';
import { LocalKeyProvider, localKeyId } from '../../src/adapters/local-keys/local-key-provider';
import { DependencyError, VersionConflictError } from '../../src/core/errors';
import { type FakeKms, KEY_ARN, KmsError, NEW_KEY_ARN, VAULT_ALIAS, vaultKms } from '../support/fake-kms';
import { type FakeKmsClient, mockKmsClient } from '../support/fake-kms-client';
import { FakeClock } from '../support/fakes';
import { MemorySecretStore } from '../support/memory-store';
import { coreVault } from '../support/vault';

let kms: FakeKms;
let front: FakeKmsClient;
/** A KmsKeyProvider on `alias/vault`, over the fake KMS's in-process front. */
const kmsKeys = () => new KmsKeyProvider({ keyId: VAULT_ALIAS, previousKeyIds: [KEY_ARN], client: front.client });

beforeEach(() => {
  kms = vaultKms();
  front = mockKmsClient(kms);
});
afterEach(() => front.restore());

describe('rewrap', () => {
  it('moves every retained version to the new KMS key with ReEncrypt; all versions open and record it', async () => {
    const store = new MemorySecretStore();
    const clock = new FakeClock();
    const before = coreVault({ keys: kmsKeys(), store, clock });
    for (let i = 1; i <= 3; i++) await before.vault.put(before.admin, 'exchange-keys/u1/okx', { value: `v${i}` });
    await before.vault.destroy(before.admin, 'exchange-keys/u1/okx', { versions: [1] });
    kms.pointAlias(VAULT_ALIAS, NEW_KEY_ARN);
    const result = await before.vault.rewrap(before.admin, 'exchange-keys/u1/okx');
    expect(result).toEqual({ path: 'exchange-keys/u1/okx', rewrapped: [2, 3], skipped: [], keyId: NEW_KEY_ARN });
    expect(kms.count('ReEncrypt')).toBe(2);
    expect(kms.count('Decrypt')).toBe(0);
    const meta = await before.vault.describe(before.admin, 'exchange-keys/u1/okx');
    expect(meta.versions.filter((v) => v.state !== 'destroyed').map((v) => v.kid)).toEqual([NEW_KEY_ARN, NEW_KEY_ARN]);
    // With the old key disabled, every version still opens: each records the key that wraps it now.
    kms.disable(KEY_ARN);
    await expect(before.vault.get(before.admin, 'exchange-keys/u1/okx', 2)).resolves.toMatchObject({ value: 'v2' });
    await expect(before.vault.get(before.admin, 'exchange-keys/u1/okx')).resolves.toMatchObject({ value: 'v3' });
    // A second run skips everything.
    await expect(before.vault.rewrap(before.admin, 'exchange-keys/u1/okx')).resolves.toMatchObject({
      rewrapped: [],
      skipped: [2, 3],
    });
  });

  it('versions still under the old key keep opening during the move', async () => {
    const t = coreVault({ keys: kmsKeys() });
    await t.vault.put(t.admin, 'a/b', { value: 'old' });
    kms.pointAlias(VAULT_ALIAS, NEW_KEY_ARN);
    await t.vault.put(t.admin, 'a/b', { value: 'new' });
    const meta = await t.vault.describe(t.admin, 'a/b');
    expect(meta.versions.map((v) => v.kid)).toEqual([KEY_ARN, NEW_KEY_ARN]);
    await expect(t.vault.get(t.admin, 'a/b', 1)).resolves.toMatchObject({ value: 'old' });
    await expect(t.vault.get(t.admin, 'a/b', 2)).resolves.toMatchObject({ value: 'new' });
  });

  it('a failed ReEncrypt leaves the secret unchanged and openable; a rerun finishes', async () => {
    const t = coreVault({ keys: kmsKeys() });
    for (let i = 1; i <= 3; i++) await t.vault.put(t.admin, 'a/b', { value: `v${i}` });
    kms.pointAlias(VAULT_ALIAS, NEW_KEY_ARN);
    kms.failNext('ReEncrypt', new KmsError('KMSInternalException', 'x', 'server'));
    kms.failNext('ReEncrypt', new KmsError('ThrottlingException'));
    // First call fails at the first version, second at its first version again.
    await expect(t.vault.rewrap(t.admin, 'a/b')).rejects.toThrow(DependencyError);
    await expect(t.vault.rewrap(t.admin, 'a/b')).rejects.toThrow(DependencyError);
    for (let v = 1; v <= 3; v++)
      await expect(t.vault.get(t.admin, 'a/b', v)).resolves.toMatchObject({ value: `v${v}` });
    await expect(t.vault.rewrap(t.admin, 'a/b')).resolves.toMatchObject({ rewrapped: [1, 2, 3] });
    for (let v = 1; v <= 3; v++)
      await expect(t.vault.get(t.admin, 'a/b', v)).resolves.toMatchObject({ value: `v${v}` });
  });

  it('a rewrap racing a write loses on rev and changes nothing in the HEAD', async () => {
    const t = coreVault({ keys: kmsKeys() });
    await t.vault.put(t.admin, 'a/b', { value: 'v1' });
    kms.pointAlias(VAULT_ALIAS, NEW_KEY_ARN);
    const realReplace = t.store.replaceHead.bind(t.store);
    t.store.replaceHead = async (head, rev) => {
      t.store.replaceHead = realReplace;
      await t.vault.put(t.admin, 'a/b', { value: 'v2' });
      return realReplace(head, rev);
    };
    await expect(t.vault.rewrap(t.admin, 'a/b')).rejects.toThrow(VersionConflictError);
    await expect(t.vault.get(t.admin, 'a/b')).resolves.toMatchObject({ version: 2, value: 'v2' });
    await expect(t.vault.get(t.admin, 'a/b', 1)).resolves.toMatchObject({ value: 'v1' });
  });

  it('the LocalKeyProvider rewraps to a new master key the same way', async () => {
    const oldMaster = randomBytes(32);
    const newMaster = randomBytes(32);
    const store = new MemorySecretStore();
    const before = coreVault({ keys: new LocalKeyProvider(oldMaster), store });
    await before.vault.put(before.admin, 'a/b', { value: 'v1' });
    await before.vault.put(before.admin, 'a/b', { value: 'v2' });
    const during = coreVault({ keys: new LocalKeyProvider(newMaster, [oldMaster]), store });
    await expect(during.vault.rewrap(during.admin, 'a/b')).resolves.toMatchObject({
      rewrapped: [1, 2],
      keyId: localKeyId(newMaster),
    });
    const after = coreVault({ keys: new LocalKeyProvider(newMaster), store });
    await expect(after.vault.get(after.admin, 'a/b', 1)).resolves.toMatchObject({ value: 'v1' });
    await expect(after.vault.get(after.admin, 'a/b', 2)).resolves.toMatchObject({ value: 'v2' });
  });
});

describe('a write racing a rewrap', () => {
  it('leaves the copied version under the key its summary names', async () => {
    const t = coreVault({ keys: kmsKeys() });
    await t.vault.put(t.admin, 'race/rewrap', { value: 'v1' });
    kms.pointAlias(VAULT_ALIAS, NEW_KEY_ARN);
    // The writer reads HEAD (v1 under the old key); a rewrap commits before the writer copies.
    const realGetHead = t.store.getHead.bind(t.store);
    let raced = false;
    t.store.getHead = async (path: string) => {
      const head = await realGetHead(path);
      if (!raced) {
        raced = true;
        await t.vault.rewrap(t.admin, 'race/rewrap');
      }
      return head;
    };
    await t.vault.put(t.admin, 'race/rewrap', { value: 'v2' });
    const meta = await t.vault.describe(t.admin, 'race/rewrap');
    expect(meta.versions.map((v) => v.kid)).toEqual([NEW_KEY_ARN, NEW_KEY_ARN]);
    expect((await t.store.getVersion('race/rewrap', 1))!.kid).toBe(NEW_KEY_ARN);
    kms.disable(KEY_ARN);
    await expect(t.vault.get(t.admin, 'race/rewrap', 1)).resolves.toMatchObject({ value: 'v1' });
  });

  it('removes a version a crashed write left behind after retention dropped it', async () => {
    const store = new MemorySecretStore();
    const t = coreVault({ keys: kmsKeys(), store, maxVersions: 2, retentionMinAgeHours: 0 });
    for (let i = 1; i <= 2; i++) await t.vault.put(t.admin, 'a/b', { value: `v${i}` });
    // The third write drops version 1 from the HEAD, then "crashes" before deleting its item.
    const remove = store.removeVersion.bind(store);
    store.removeVersion = async () => {
      throw new Error('crash');
    };
    await expect(t.vault.put(t.admin, 'a/b', { value: 'v3' })).rejects.toThrow('crash');
    store.removeVersion = remove;
    expect(await store.listVersionItems('a/b')).toEqual([1, 2]);
    await expect(t.vault.get(t.admin, 'a/b', 1)).rejects.toMatchObject({ state: 'destroyed' });
    // A version item above the HEAD's (a writer racing a newer HEAD) is not a leftover.
    await store.putVersion('a/b', 7, (await store.getVersion('a/b', 2))!);
    await t.vault.rewrap(t.admin, 'a/b');
    expect(await store.listVersionItems('a/b')).toEqual([2, 7]);
    await expect(t.vault.get(t.admin, 'a/b', 2)).resolves.toMatchObject({ value: 'v2' });
    await expect(t.vault.get(t.admin, 'a/b')).resolves.toMatchObject({ value: 'v3' });
  });
});
