import { KmsKeyProvider } from '../../src/adapters/kms/kms-key-provider';
import { contextFor, seal } from '../../src/core/envelope';
import { KEY_ARN, vaultKms } from '../support/fake-kms';
import { type FakeKmsClient, mockKmsClient } from '../support/fake-kms-client';
import { MemorySecretStore } from '../support/memory-store';
import { coreVault } from '../support/vault';

/** A key in the same account that the vault role can also call, but that the vault does not use. */
const ATTACKER_KEY_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const ATTACKER_KEY_ARN = `arn:aws:kms:us-east-1:111122223333:key/${ATTACKER_KEY_ID}`;
const PATH = 'exchange-keys/u1/binance';

let front: FakeKmsClient;
afterEach(() => front.restore());

async function setup() {
  const kms = vaultKms();
  kms.createKey(ATTACKER_KEY_ID);
  front = mockKmsClient(kms);
  const store = new MemorySecretStore();
  const t = coreVault({ store, keys: new KmsKeyProvider({ keyId: KEY_ARN, client: front.client }) });
  await t.vault.put(t.admin, PATH, { value: { apiKey: 'genuine' } });
  // What someone who can write the table and call the other key makes: a valid envelope for
  // this path and version, under a data key of their own key, holding a value of their choice.
  const forged = await seal(
    new KmsKeyProvider({ keyId: ATTACKER_KEY_ARN, client: front.client }),
    Buffer.from(JSON.stringify({ apiKey: 'attacker-chosen' })),
    contextFor(PATH, 1),
  );
  const callsBefore = kms.calls.length;
  /** KMS calls made since the forgery was in place. */
  const kmsCallsSince = () => kms.calls.slice(callsBefore);
  return { kms, store, t, forged, kmsCallsSince };
}

describe('a stored record cannot choose the KMS key the vault decrypts with', () => {
  it('an envelope swapped into the HEAD under another key is refused before any KMS call', async () => {
    const { store, t, forged, kmsCallsSince } = await setup();
    store.heads.get(PATH)!.envelope = forged;
    await expect(t.vault.get(t.admin, PATH)).rejects.toMatchObject({ code: 'integrity_error' });
    expect(kmsCallsSince()).toEqual([]);
  });

  it('with the summary forged to match, the read is unknown_key and still makes no KMS call', async () => {
    const { store, t, forged, kmsCallsSince } = await setup();
    const head = store.heads.get(PATH)!;
    head.envelope = forged;
    head.versions[0]!.kid = ATTACKER_KEY_ARN;
    await expect(t.vault.get(t.admin, PATH)).rejects.toMatchObject({ code: 'unknown_key', keyId: ATTACKER_KEY_ARN });
    expect(kmsCallsSince()).toEqual([]);
  });

  it('rewrap refuses the forged record too, so it cannot be made permanent under the vault key', async () => {
    const { store, t, forged, kmsCallsSince } = await setup();
    const head = store.heads.get(PATH)!;
    head.envelope = forged;
    head.versions[0]!.kid = ATTACKER_KEY_ARN;
    await expect(t.vault.rewrap(t.admin, PATH)).rejects.toMatchObject({ code: 'unknown_key' });
    expect(kmsCallsSince()).toEqual([]);
    expect(store.heads.get(PATH)!.envelope!.kid).toBe(ATTACKER_KEY_ARN);
  });

  it('a superseded version whose item names another key than its summary is refused', async () => {
    const { store, t, forged, kmsCallsSince } = await setup();
    await t.vault.put(t.admin, PATH, { value: { apiKey: 'second' } });
    store.versions.set(`${PATH}#1`, { ...forged });
    const before = kmsCallsSince().length;
    await expect(t.vault.get(t.admin, PATH, 1)).rejects.toMatchObject({ code: 'integrity_error' });
    expect(kmsCallsSince().length).toBe(before);
  });
});
