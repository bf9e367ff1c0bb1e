import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { ensureAuditTable } from '../adapters/dynamodb/audit-table';
import { DynamoDbSecretStore } from '../adapters/dynamodb/dynamodb-secret-store';
import { DynamoDbTrailStore } from '../adapters/dynamodb/dynamodb-trail-store';
import { type EmbeddedDynamo, startDynalite } from '../adapters/dynamodb/embedded-dynalite';
import { ensureTable } from '../adapters/dynamodb/table';
import { ensurePrivateDir } from '../adapters/local-files/private-files';
import { LocalKeyProvider } from '../adapters/local-keys/local-key-provider';
import { LocalMacProvider } from '../adapters/local-keys/local-mac-provider';
import type { EmbeddedConfig } from '../config';
import type { Adapters } from './assemble';

/** The store has records but its master key is gone: starting would strand every secret. */
export class MissingMasterKeyError extends Error {
  override readonly name = 'MissingMasterKeyError';
  constructor(dataDir: string) {
    super(
      `${join(dataDir, 'dynamodb')} holds secrets but ${join(dataDir, 'master.key')} is missing, so none of them could be read. ` +
        `Restore master.key from your backup and start again (keys in ${join(dataDir, 'retired-keys')}/ open only versions written before they were retired). ` +
        'To start over instead, move the whole data directory aside.',
    );
  }
}

/**
 * dynalite persisting under the data dir and the local master key. The data directory must be
 * the vault user's alone. An existing key file is checked before any store is opened; a
 * missing one is only created for a store that holds nothing yet.
 */
export async function embeddedAdapters(config: EmbeddedConfig): Promise<Adapters> {
  ensurePrivateDir(config.dataDir);
  const hadKey = LocalKeyProvider.hasMasterKey(config.dataDir);
  let keys = hadKey ? LocalKeyProvider.fromDirectory(config.dataDir, { createIfMissing: false }) : undefined;
  const dynamo = await startDynalite({ path: join(config.dataDir, 'dynamodb') });
  try {
    await ensureTable(dynamo.client, config.tableName);
    if (config.audit.mode === 'durable') await ensureAuditTable(dynamo.client, config.audit.tableName);
    if (!keys) {
      if (await holdsRecords(dynamo, config.tableName)) throw new MissingMasterKeyError(config.dataDir);
      keys = LocalKeyProvider.fromDirectory(config.dataDir, { createIfMissing: true });
    }
  } catch (error) {
    await dynamo.close();
    throw error;
  }
  return {
    keys,
    macs: LocalMacProvider.fromDirectory(config.dataDir),
    store: new DynamoDbSecretStore({ client: dynamo.client, tableName: config.tableName }),
    ...(config.audit.mode === 'durable' && {
      trail: new DynamoDbTrailStore(dynamo.client, config.audit.tableName),
    }),
    describe: `embedded mode, data in ${config.dataDir}/`,
    close: dynamo.close,
  };
}

/** Any item at all (a HEAD, a version, a tombstone): one item read, at start-up only. */
async function holdsRecords(dynamo: EmbeddedDynamo, tableName: string): Promise<boolean> {
  const out = await dynamo.client.send(new ScanCommand({ TableName: tableName, Limit: 1, ProjectionExpression: 'pk' }));
  return (out.Items?.length ?? 0) > 0;
}
