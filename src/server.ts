import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { sigv4Authenticator } from './adapters/auth/sigv4-authenticator';
import { type Credential, createCredentialsFile, loadCredentialsFile } from './adapters/auth/sigv4-verifier';
import { DynamoDbSecretStore } from './adapters/dynamodb/dynamodb-secret-store';
import { startDynalite } from './adapters/dynamodb/embedded-dynalite';
import { dynamoClientConfig, ensureTable } from './adapters/dynamodb/table';
import { type Logger, stdoutLogger } from './adapters/http/logger';
import { KmsKeyProvider, kmsClientConfig } from './adapters/kms/kms-key-provider';
import { LocalKeyProvider } from './adapters/local-keys/local-key-provider';
import { type Config, loadConfig } from './config';
import { adminPolicy } from './core/policy';
import type { KeyProvider, SecretStore } from './core/ports';
import { assemble } from './wiring';

/** The principal of the credential `npm start` generates on first run. */
export const LOCAL_ADMIN = 'arn:aws:iam::000000000000:user/vault-admin';

export interface RunningVault {
  url: string;
  config: Config;
  credential: Credential;
  createdCredential: boolean;
  close(): Promise<void>;
}

/**
 * Starts the vault as a long-running HTTP server. Embedded mode (no AWS settings): dynalite
 * persisting under the data dir, the local key provider, SigV4 against a local credentials
 * file. AWS mode: the same server over KMS and DynamoDB (AWS_ENDPOINT_URL_KMS and
 * AWS_ENDPOINT_URL_DYNAMODB point it at LocalStack or local-kms).
 */
export async function startServer(env: NodeJS.ProcessEnv, logger: Logger = stdoutLogger): Promise<RunningVault> {
  const config = loadConfig(env);
  // Local files first (master key, credentials): a refused file stops start-up before any
  // server or socket exists.
  const keys: KeyProvider =
    config.mode === 'embedded'
      ? LocalKeyProvider.fromDirectory(config.dataDir)
      : new KmsKeyProvider({ keyId: config.kmsKeyId!, clientConfig: kmsClientConfig({ region: config.region }) });
  const createdCredential = !existsSync(config.sigv4.credentialsFile);
  if (createdCredential) createCredentialsFile(config.sigv4.credentialsFile, LOCAL_ADMIN);
  const credentials = loadCredentialsFile(config.sigv4.credentialsFile);
  const credential = [...credentials.values()][0]!;
  const closers: Array<() => Promise<void>> = [];
  let store: SecretStore;
  if (config.mode === 'embedded') {
    const dynamo = await startDynalite(join(config.dataDir, 'dynamodb'));
    closers.push(dynamo.close);
    try {
      await ensureTable(dynamo.client, config.tableName);
    } catch (error) {
      await dynamo.close();
      throw error;
    }
    store = new DynamoDbSecretStore({ client: dynamo.client, tableName: config.tableName });
  } else {
    const client = new DynamoDBClient(dynamoClientConfig(config.region));
    closers.push(async () => client.destroy());
    store = new DynamoDbSecretStore({ client, tableName: config.tableName });
  }
  const { app } = assemble(config, {
    keys,
    store,
    policy: config.policy ?? adminPolicy(LOCAL_ADMIN),
    logger,
    authenticate: sigv4Authenticator({
      lookup: (id) => credentials.get(id),
      region: config.sigv4.region,
      service: config.sigv4.service,
    }),
  });
  let server: Server;
  try {
    server = await new Promise((resolve, reject) => {
      const s = app.listen(config.port, config.host, () => resolve(s));
      s.once('error', reject);
    });
  } catch (error) {
    for (const close of closers.reverse()) await close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}`,
    config,
    credential,
    createdCredential,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const close of closers.reverse()) await close();
    },
  };
}

/** What `npm start` prints: a session a person can paste. */
export function banner(vault: RunningVault): string {
  const { config, credential, url } = vault;
  const scope = `aws:amz:${config.sigv4.region}:${config.sigv4.service}`;
  const user = vault.createdCredential
    ? `${credential.accessKeyId}:${credential.secretAccessKey}`
    : `${credential.accessKeyId}:$(node -p 'require(${JSON.stringify(resolve(config.sigv4.credentialsFile))}).credentials[0].secretAccessKey')`;
  const path = 'exchange-keys/user-1842/binance-main';
  return [
    `kms-vault listening on ${url} (${config.mode} mode${config.mode === 'embedded' ? `, data in ${config.dataDir}/` : ''})`,
    vault.createdCredential
      ? `Created admin credential ${credential.accessKeyId} for ${credential.principal} in ${config.sigv4.credentialsFile} (mode 0600).`
      : `Credentials: ${config.sigv4.credentialsFile} (admin ${credential.accessKeyId} = ${credential.principal}).`,
    '',
    'Write a secret:',
    `  curl -s --aws-sigv4 "${scope}" --user "${user}" -X PUT -H 'content-type: application/json' \\`,
    `    -d '{"value":{"apiKey":"demo-key","secretKey":"demo-secret"}}' ${url}/v1/secrets/${path}`,
    'Read it back:',
    `  curl -s --aws-sigv4 "${scope}" --user "${user}" ${url}/v1/secrets/${path}`,
    '',
  ].join('\n');
}

if (require.main === module) {
  startServer(process.env)
    .then((vault) => {
      process.stderr.write(`${banner(vault)}\n`);
      const stop = () => void vault.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    })
    .catch((error: Error) => {
      process.stderr.write(`kms-vault failed to start: ${error.message}\n`);
      process.exit(1);
    });
}
