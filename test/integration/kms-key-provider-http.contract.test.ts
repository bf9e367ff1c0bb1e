import { KmsKeyProvider } from '../../src/adapters/kms/kms-key-provider';
import { keyProviderContract } from '../contract/key-provider.contract';
import { KEY_ARN, NEW_KEY_ARN, VAULT_ALIAS, vaultKms } from '../support/fake-kms';
import { serveKms } from '../support/fake-kms-server';

/**
 * The same contract over the fake KMS's HTTP front, through the real SDK's JSON protocol: the
 * front the bundled Lambda handler talks to answers exactly as the in-process one does.
 */
keyProviderContract('KmsKeyProvider over the fake KMS (HTTP front)', async () => {
  const kms = vaultKms();
  kms.pointAlias(VAULT_ALIAS, NEW_KEY_ARN);
  const server = await serveKms(kms);
  const clientConfig = {
    endpoint: server.endpoint,
    region: kms.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  };
  return {
    keys: new KmsKeyProvider({ keyId: VAULT_ALIAS, previousKeyIds: [KEY_ARN], clientConfig }),
    wrapUnderPrevious: (context) => new KmsKeyProvider({ keyId: KEY_ARN, clientConfig }).generateDataKey(context),
    close: () => server.close(),
  };
});
