/** The package's client entry: `import { VaultClient } from 'kms-vault/client'`. */
export {
  InvalidPathError,
  type ListView,
  type MetadataView,
  type MutationView,
  type ReadCacheOptions,
  type RetryClock,
  type RetryOptions,
  type RewrapView,
  type SecretValueView,
  type SecretView,
  VaultClient,
  VaultClientError,
  type VaultClientOptions,
  type VaultCredentials,
  type VaultResponse,
  type VersionSummaryView,
} from './vault-client';
