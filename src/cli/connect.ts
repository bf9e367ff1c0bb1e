import { existsSync } from 'node:fs';
import { loadCredentialsFile } from '../adapters/auth/credentials-file';
import { VaultClient, type VaultCredentials } from '../client/vault-client';
import type { CliConfig } from '../config';
import { CONNECT_OPTIONS, DEFAULT_ENDPOINT, type OptionValues } from './command';

export { CONNECT_OPTIONS };

import { UsageError } from './exit-codes';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/;

/**
 * A client for the vault the options name. Credentials, first that applies: --profile (the
 * AWS chain with that profile); a vault on this machine (a loopback endpoint) whose credentials
 * file exists (the entry --credential names, else the first, which npm start made for its
 * admin); otherwise the AWS default chain (environment, SSO, profiles, instance roles).
 */
export function connect(values: OptionValues<typeof CONNECT_OPTIONS>, config: CliConfig): VaultClient {
  const endpoint = values.endpoint ?? config.endpoint ?? DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`--endpoint ${endpoint} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--endpoint must be http or https');
  let credentials: VaultCredentials | (() => Promise<VaultCredentials>) | undefined;
  if (values.profile !== undefined) {
    credentials = profileChain(values.profile);
  } else if (LOOPBACK.test(url.hostname) && existsSync(config.credentialsFile)) {
    const entries = loadCredentialsFile(config.credentialsFile);
    const chosen = values.credential === undefined ? [...entries.values()][0] : entries.get(values.credential);
    if (!chosen) throw new UsageError(`--credential ${values.credential} is not in ${config.credentialsFile}`);
    credentials = { accessKeyId: chosen.accessKeyId, secretAccessKey: chosen.secretAccessKey };
  } else if (values.credential !== undefined) {
    throw new UsageError(
      `--credential names an entry of a local vault's credentials file; there is none at ${config.credentialsFile} for ${endpoint}`,
    );
  }
  return new VaultClient({
    endpoint,
    region: values.region ?? config.region,
    service: config.service,
    ...(credentials && { credentials }),
  });
}

function profileChain(profile: string): () => Promise<VaultCredentials> {
  let chain: (() => Promise<VaultCredentials>) | undefined;
  return async () => {
    if (!chain) {
      const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
      chain = defaultProvider({ profile });
    }
    return chain();
  };
}
