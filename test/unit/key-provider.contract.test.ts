import { randomBytes } from 'node:crypto';
import { KmsKeyProvider } from '../../src/adapters/kms/kms-key-provider';
import { LocalKeyProvider } from '../../src/adapters/local-keys/local-key-provider';
import { CachingKeyProvider } from '../../src/core/data-key-cache';
import { type KeyProviderUnderTest, keyProviderContract } from '../contract/key-provider.contract';
import { CountingKeyProvider } from '../support/counting-key-provider';
import { KEY_ARN, NEW_KEY_ARN, VAULT_ALIAS, vaultKms } from '../support/fake-kms';
import { mockKmsClient } from '../support/fake-kms-client';
import { FakeClock } from '../support/fakes';

/** A current master key and a retired one it still reads, as after `LocalKeyProvider.rotate`. */
function local(): KeyProviderUnderTest {
  const retired = randomBytes(32);
  return {
    keys: new LocalKeyProvider(randomBytes(32), [retired]),
    wrapUnderPrevious: (context) => new LocalKeyProvider(retired).generateDataKey(context),
  };
}

/** `alias/vault` re-pointed from KEY_ARN to NEW_KEY_ARN, as in a key rotation. */
function kms(): KeyProviderUnderTest {
  const fake = vaultKms();
  fake.pointAlias(VAULT_ALIAS, NEW_KEY_ARN);
  const front = mockKmsClient(fake);
  return {
    keys: new KmsKeyProvider({ keyId: VAULT_ALIAS, previousKeyIds: [KEY_ARN], client: front.client }),
    wrapUnderPrevious: (context) =>
      new KmsKeyProvider({ keyId: KEY_ARN, client: front.client }).generateDataKey(context),
    close: () => front.restore(),
  };
}

/** The data-key cache as the vault runs it: on, so repeated unwraps are served from memory. */
const cached = (inner: () => KeyProviderUnderTest) => (): KeyProviderUnderTest => {
  const subject = inner();
  const settings = { maxAgeSeconds: 300, maxEntries: 100, maxUses: 1000 };
  return { ...subject, keys: new CachingKeyProvider(subject.keys, settings, new FakeClock()) };
};

const counted = (inner: () => KeyProviderUnderTest) => (): KeyProviderUnderTest => {
  const subject = inner();
  return { ...subject, keys: new CountingKeyProvider(subject.keys) };
};

keyProviderContract('LocalKeyProvider', local);
keyProviderContract('KmsKeyProvider over the fake KMS (in-process front)', kms);
keyProviderContract('CachingKeyProvider over LocalKeyProvider', cached(local));
keyProviderContract('CachingKeyProvider over KmsKeyProvider', cached(kms));
// The stand-in for KMS in core and HTTP tests must not change what the provider it wraps does.
keyProviderContract('CountingKeyProvider over LocalKeyProvider', counted(local));
