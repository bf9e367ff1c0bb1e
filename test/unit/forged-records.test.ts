import { KmsKeyProvider } from '../../src/adapters/kms/kms-key-provider';
import { contextFor, seal } from '../../src/core/envelope';
import { FakeKms, KEY_ARN } from '../support/fake-kms';
import { MemorySecretStore } from '../support/memory-store';
import { coreVault } from '../support/vault';

/** A key in the same account that the vault role can also call, but that the vault does not use. */
const ATTACKER_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const PATH = 'exchange-keys/u1/binance';

async function setup() {
  const kms = new FakeKms();
  kms.masters.set(ATTACKER_KEY_ARN, Buffer.alloc(32, 0x5a));
  const store = new MemorySecretStore();
  const t = coreVault({ store, keys: new KmsKeyProvider({ keyId: KEY_ARN, client: kms.client }) });
  await t.vault.put(t.admin, PATH, { value: { apiKey: 'genuine' } });
  // What someone who can write the table and call the other key makes: a valid envelope for
  // this path and version, under a data key of their own key, holding a value of their choice.
  const forged = await seal(
    new KmsKeyProvider({ keyId: ATTACKER_KEY_ARN, client: kms.client }),
    Buffer.from(JSON.stringify({ apiKey: 'attacker-chosen' })),
    contextFor(PATH, 1),
  );
  kms.mock.resetHistory();
  return { kms, store, t, forged };
}

afterEach(() => jest.restoreAllMocks());

describe('a stored record cannot choose the KMS key the vault decrypts with', () => {
  it('an envelope swapped into the HEAD under another key is refused before any KMS call', async () => {
    const { kms, store, t, forged } = await setup();
    store.heads.get(PATH)!.envelope = forged;
    await expect(t.vault.get(t.admin, PATH)).rejects.toMatchObject({ code: 'integrity_error' });
    expect(kms.mock.calls()).toHaveLength(0);
    kms.mock.restore();
  });

  it('with the summary forged to match, the read is unknown_key and still makes no KMS call', async () => {
    const { kms, store, t, forged } = await setup();
    const head = store.heads.get(PATH)!;
    head.envelope = forged;
    head.versions[0]!.kid = ATTACKER_KEY_ARN;
    await expect(t.vault.get(t.admin, PATH)).rejects.toMatchObject({ code: 'unknown_key', keyId: ATTACKER_KEY_ARN });
    expect(kms.mock.calls()).toHaveLength(0);
    kms.mock.restore();
  });

  it('rewrap refuses the forged record too, so it cannot be made permanent under the vault key', async () => {
    const { kms, store, t, forged } = await setup();
    const head = store.heads.get(PATH)!;
    head.envelope = forged;
    head.versions[0]!.kid = ATTACKER_KEY_ARN;
    await expect(t.vault.rewrap(t.admin, PATH)).rejects.toMatchObject({ code: 'unknown_key' });
    expect(kms.calls('ReEncryptCommand')).toBe(0);
    expect(store.heads.get(PATH)!.envelope!.kid).toBe(ATTACKER_KEY_ARN);
    kms.mock.restore();
  });

  it('a superseded version whose item names another key than its summary is refused', async () => {
    const { kms, store, t, forged } = await setup();
    await t.vault.put(t.admin, PATH, { value: { apiKey: 'second' } });
    store.versions.set(`${PATH}#1`, { ...forged });
    kms.mock.resetHistory();
    await expect(t.vault.get(t.admin, PATH, 1)).rejects.toMatchObject({ code: 'integrity_error' });
    expect(kms.calls('DecryptCommand')).toBe(0);
    kms.mock.restore();
  });
});
