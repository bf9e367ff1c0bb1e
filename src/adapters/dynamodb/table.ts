import type { CreateTableCommandInput, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

/** Sparse index over HEAD items in path order: listing by prefix. */
export const PATH_INDEX = 'by-path';
/** Sparse index over HEAD items in rotation-due order: rotation reports. */
export const ROTATION_INDEX = 'by-rotation-due';
/** Only HEAD items carry this attribute, which makes both indexes sparse. */
export const LIST_PARTITION = 'HEAD';

/**
 * Attributes projected into the indexes: metadata only. Envelope attributes (iv, ct, edk)
 * stay out so listing never copies ciphertext into a second place.
 */
export const INDEX_ATTRIBUTES = ['ver', 'rev', 'labels', 'cAt', 'cBy', 'uAt', 'uBy', 'since', 'rotDays', 'vers'];

/**
 * The table definition, shared by embedded mode, the tests and (as a mirror checked by a
 * test) the CloudFormation in infra/.
 */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  const projection = (extra: string[]) => ({
    ProjectionType: 'INCLUDE' as const,
    NonKeyAttributes: [...INDEX_ATTRIBUTES, ...extra],
  });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'lst', AttributeType: 'S' },
      { AttributeName: 'due', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: PATH_INDEX,
        KeySchema: [
          { AttributeName: 'lst', KeyType: 'HASH' },
          { AttributeName: 'pk', KeyType: 'RANGE' },
        ],
        Projection: projection(['due']),
      },
      {
        IndexName: ROTATION_INDEX,
        KeySchema: [
          { AttributeName: 'lst', KeyType: 'HASH' },
          { AttributeName: 'due', KeyType: 'RANGE' },
        ],
        Projection: projection([]),
      },
    ],
  };
}

/** Creates the table unless it exists, and waits until it is active. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException) && (error as Error).name !== 'ResourceNotFoundException')
      throw error;
  }
  await client.send(new CreateTableCommand(tableDefinition(tableName)));
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
}

/**
 * Client settings for the real service: each attempt gives up after 3 s (1 s to connect) and a
 * call after 3 attempts, so a DynamoDB that accepts and never answers costs a 503 in about 10 s.
 * `throwOnRequestTimeout` is what makes requestTimeout end the attempt (otherwise the handler
 * only logs a warning and waits for the socket).
 */
export function dynamoClientConfig(region: string): DynamoDBClientConfig {
  return {
    region,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
  };
}
