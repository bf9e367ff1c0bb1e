import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTableFrom, describeTable } from './table';

/** Index over records and checkpoints by chain, in sequence order: what `audit verify` walks. */
export const CHAIN_INDEX = 'by-chain';
/**
 * Random shards per secret path: one secret read 1,000 times a second writes 1,000 records a
 * second, which one partition (1,000 WCU) could not take; over 8 it is 125 each.
 */
export const PATH_SHARDS = 8;
/**
 * Index partitions per chain (records go to `chain#(seq mod 4)`): one busy process's chain then
 * needs a quarter of a partition's write throughput, so its index never throttles its records.
 */
export const CHAIN_SPREAD = 4;
/** DynamoDB's TTL attribute (epoch seconds); infra/vault.yml enables TTL on it. */
export const TTL_ATTRIBUTE = 'exp';

/** `<VAULT_TABLE_NAME>-audit`: the access trail's own table, unless VAULT_AUDIT_TABLE_NAME names another. */
export const defaultAuditTableName = (tableName: string) => `${tableName}-audit`;

/**
 * The access trail's table, shared by embedded mode, the tests and (as a mirror checked by a
 * test) infra/vault.yml, which adds TTL on `exp` and point-in-time recovery.
 */
export function auditTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'cs', AttributeType: 'S' },
      { AttributeName: 'seq', AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        // Every attribute: verify recomputes each record's hash from what the index returns.
        IndexName: CHAIN_INDEX,
        KeySchema: [
          { AttributeName: 'cs', KeyType: 'HASH' },
          { AttributeName: 'seq', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

/**
 * Creates the trail's table unless it exists (embedded mode and tests). dynalite has no TTL, so
 * nothing expires there; in AWS the table and its TTL come from infra/vault.yml.
 */
export async function ensureAuditTable(client: DynamoDBClient, tableName: string): Promise<void> {
  if (await describeTable(client, tableName)) return;
  await createTableFrom(client, auditTableDefinition(tableName));
}
