import { join } from 'node:path';
import { DynamoDbSecretStore } from '../adapters/dynamodb/dynamodb-secret-store';
import { startDynalite } from '../adapters/dynamodb/embedded-dynalite';
import { ensureTable } from '../adapters/dynamodb/table';
import { LocalKeyProvider } from '../adapters/local-keys/local-key-provider';
import type { EmbeddedConfig } from '../config';
import type { Adapters } from './assemble';

/**
 * dynalite persisting under the data dir and the local master key. The key file comes first,
 * so a refused master key stops start-up before any store is opened.
 */
export async function embeddedAdapters(config: EmbeddedConfig): Promise<Adapters> {
  const keys = LocalKeyProvider.fromDirectory(config.dataDir);
  const dynamo = await startDynalite(join(config.dataDir, 'dynamodb'));
  try {
    await ensureTable(dynamo.client, config.tableName);
  } catch (error) {
    await dynamo.close();
    throw error;
  }
  return {
    keys,
    store: new DynamoDbSecretStore({ client: dynamo.client, tableName: config.tableName }),
    describe: `embedded mode, data in ${config.dataDir}/`,
    close: dynamo.close,
  };
}
