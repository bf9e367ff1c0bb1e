import type { CreateTableCommandInput, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  ResourceNotFoundException,
  ScanCommand,
  type TableDescription,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';

/** Sparse index over HEAD items in path order: listing by prefix. */
export const PATH_INDEX = 'by-path';
/** Sparse index over HEAD items in rotation-due order: rotation reports. */
export const ROTATION_INDEX = 'by-rotation-due';
/** Only HEAD items carry this attribute, which makes both indexes sparse. */
export const LIST_PARTITION = 'HEAD';
/** Sparse index over exchange-key HEADs by the keyed MAC of (exchange, apiKey): duplicate detection. */
export const KEY_INDEX = 'by-exchange-key';

/**
 * Attributes projected into the indexes: metadata only. Envelope attributes (iv, ct, edk)
 * stay out so listing never copies ciphertext into a second place.
 */
export const INDEX_ATTRIBUTES = [
  'ver',
  'rev',
  'labels',
  'cAt',
  'cBy',
  'uAt',
  'uBy',
  'since',
  'rotDays',
  'vers',
  'xk',
  'flag',
];

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
      { AttributeName: 'bidx', AttributeType: 'S' },
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
      {
        // Keys only: the duplicate check needs the paths, nothing else.
        IndexName: KEY_INDEX,
        KeySchema: [{ AttributeName: 'bidx', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
  };
}

/**
 * Creates the table unless it exists, and waits until it is active. An existing table whose
 * indexes differ from tableDefinition (one made by an older version) is migrated: DynamoDB (and
 * dynalite) cannot change an index's projection in place, so the items move through a copy.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const temp = `${tableName}.migrating`;
  const table = await describeTable(client, tableName);
  const copy = await describeTable(client, temp);
  if (table && sameIndexes(table, tableDefinition(tableName))) {
    // A migration stopped after the new table was made but before the copy back finished.
    if (copy) await copyItems(client, temp, tableName).then(() => dropTable(client, temp));
    return;
  }
  if (table) {
    // An old table, whole: start (or restart) the migration from it.
    if (copy) await dropTable(client, temp);
    await createTable(client, temp);
    await copyItems(client, tableName, temp);
    await dropTable(client, tableName);
  }
  await createTable(client, tableName);
  if (table || copy) {
    await copyItems(client, temp, tableName);
    await dropTable(client, temp);
  }
}

/** The table's description, or undefined when it does not exist. */
export async function describeTable(client: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException || (error as Error).name === 'ResourceNotFoundException') {
      return undefined;
    }
    throw error;
  }
}

function sameIndexes(table: TableDescription, wanted: CreateTableCommandInput): boolean {
  const shape = (
    indexes: Array<{
      IndexName?: string | undefined;
      KeySchema?: unknown;
      Projection?: { ProjectionType?: string | undefined; NonKeyAttributes?: string[] | undefined } | undefined;
    }> = [],
  ) =>
    JSON.stringify(
      indexes
        .map((i) => ({
          name: i.IndexName,
          keys: i.KeySchema,
          type: i.Projection?.ProjectionType,
          attributes: [...(i.Projection?.NonKeyAttributes ?? [])].sort(),
        }))
        .sort((a, b) => String(a.name).localeCompare(String(b.name))),
    );
  return shape(table.GlobalSecondaryIndexes) === shape(wanted.GlobalSecondaryIndexes);
}

async function createTable(client: DynamoDBClient, name: string): Promise<void> {
  await createTableFrom(client, tableDefinition(name));
}

/** Creates a table from its definition and waits until it is usable. */
export async function createTableFrom(client: DynamoDBClient, definition: CreateTableCommandInput): Promise<void> {
  await client.send(new CreateTableCommand(definition));
  await waitUntilTableExists(
    { client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 },
    { TableName: definition.TableName! },
  );
}

async function dropTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: name }));
  await waitUntilTableNotExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: name });
}

/** Every item of `from` into `to`, as is (puts are idempotent, so a rerun is safe). */
async function copyItems(client: DynamoDBClient, from: string, to: string): Promise<void> {
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: from, ConsistentRead: true, ...(start && { ExclusiveStartKey: start }) }),
    );
    for (const item of page.Items ?? []) await client.send(new PutItemCommand({ TableName: to, Item: item }));
    start = page.LastEvaluatedKey;
  } while (start);
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
