import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { VersionConflictError } from '../../core/errors';
import type { Envelope, ListPage, ListQuery, SecretHead, SecretMetadata, SecretStore } from '../../core/ports';
import { mapDynamoError } from './errors';
import { fromEnvelope, fromHead, HEAD, type Item, key, toEnvelope, toHead, versionKey } from './item-codec';
import { cursorShape, decodeCursor, encodeCursor } from './list-cursor';
import { KEY_INDEX, LIST_PARTITION, PATH_INDEX, ROTATION_INDEX } from './table';

export interface DynamoDbSecretStoreOptions {
  client: DynamoDBClient;
  tableName: string;
}

/**
 * SecretStore on one DynamoDB table (see DESIGN "Storage model"): a HEAD item per secret and
 * immutable V#n items for superseded versions. No transactions: each mutation is one
 * conditional single-item write.
 */
export class DynamoDbSecretStore implements SecretStore {
  private readonly client: DynamoDBClient;
  private readonly table: string;

  constructor(options: DynamoDbSecretStoreOptions) {
    this.client = options.client;
    this.table = options.tableName;
  }

  async getHead(path: string): Promise<SecretHead | undefined> {
    const out = await this.send(
      new GetItemCommand({ TableName: this.table, Key: key(path, HEAD), ConsistentRead: true }),
    );
    return out.Item ? toHead(out.Item) : undefined;
  }

  async createHead(head: SecretHead): Promise<void> {
    // attribute_not_exists: two first writers race; exactly one creates the secret.
    await this.send(
      new PutItemCommand({
        TableName: this.table,
        Item: fromHead(head),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async replaceHead(head: SecretHead, expectedRev: number): Promise<void> {
    // rev = expected is the optimistic lock: a writer that read an older HEAD loses.
    await this.send(
      new PutItemCommand({
        TableName: this.table,
        Item: fromHead(head),
        ConditionExpression: '#rev = :rev',
        ExpressionAttributeNames: { '#rev': 'rev' },
        ExpressionAttributeValues: { ':rev': { N: String(expectedRev) } },
      }),
    );
  }

  async deleteHead(path: string, expectedRev: number): Promise<void> {
    await this.send(
      new DeleteItemCommand({
        TableName: this.table,
        Key: key(path, HEAD),
        ConditionExpression: '#rev = :rev',
        ExpressionAttributeNames: { '#rev': 'rev' },
        ExpressionAttributeValues: { ':rev': { N: String(expectedRev) } },
      }),
    );
  }

  async putVersion(path: string, version: number, envelope: Envelope): Promise<boolean> {
    try {
      // A present item (even an erased tombstone) is never overwritten: versions are immutable
      // and a destroyed one must stay destroyed.
      await this.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { ...key(path, versionKey(version)), ...fromEnvelope(envelope) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof VersionConflictError) return false;
      throw error;
    }
  }

  async getVersion(path: string, version: number): Promise<Envelope | undefined> {
    const out = await this.send(
      new GetItemCommand({ TableName: this.table, Key: key(path, versionKey(version)), ConsistentRead: true }),
    );
    return out.Item?.ct ? toEnvelope(out.Item) : undefined;
  }

  async replaceVersionEnvelope(path: string, version: number, envelope: Envelope, expectedEdk: Buffer): Promise<void> {
    await this.send(
      new PutItemCommand({
        TableName: this.table,
        Item: { ...key(path, versionKey(version)), ...fromEnvelope(envelope) },
        ConditionExpression: 'edk = :edk',
        ExpressionAttributeValues: { ':edk': { B: expectedEdk } },
      }),
    );
  }

  async eraseVersion(path: string, version: number): Promise<void> {
    // The tombstone keeps the key so a stale writer's attribute_not_exists copy fails.
    await this.send(
      new PutItemCommand({
        TableName: this.table,
        Item: { ...key(path, versionKey(version)), erased: { BOOL: true } },
      }),
    );
  }

  async removeVersion(path: string, version: number): Promise<void> {
    await this.send(new DeleteItemCommand({ TableName: this.table, Key: key(path, versionKey(version)) }));
  }

  async listVersionItems(path: string): Promise<number[]> {
    const versions: number[] = [];
    let start: Item | undefined;
    do {
      const out = await this.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
          ExpressionAttributeValues: { ':pk': { S: path }, ':v': { S: 'V#' } },
          ProjectionExpression: 'sk',
          ConsistentRead: true,
          ...(start && { ExclusiveStartKey: start }),
        }),
      );
      for (const item of out.Items ?? []) versions.push(Number(item.sk!.S!.slice(2)));
      start = out.LastEvaluatedKey;
    } while (start);
    return versions;
  }

  async findByKeyIndex(keyIndex: string): Promise<string[]> {
    // A handful of items at most (one per path holding the key); the index is eventually
    // consistent, which the vault documents as the limit of duplicate detection.
    const out = await this.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: KEY_INDEX,
        KeyConditionExpression: 'bidx = :bidx',
        ExpressionAttributeValues: { ':bidx': { S: keyIndex } },
        Limit: 25,
      }),
    );
    return (out.Items ?? []).map((item) => item.pk!.S!);
  }

  cursorAfter(item: SecretMetadata, query: ListQuery): string {
    // The key DynamoDB would return as LastEvaluatedKey after this item: table and index keys.
    const lastKey: Item = { ...key(item.path, HEAD), lst: { S: LIST_PARTITION } };
    if (query.order === 'due') lastKey.due = { S: item.rotationDueAt };
    return encodeCursor(lastKey, cursorShape(query));
  }

  async list(query: ListQuery): Promise<ListPage> {
    const shape = cursorShape(query);
    const values: Record<string, AttributeValue> = { ':lst': { S: LIST_PARTITION } };
    const input: QueryCommandInput = { TableName: this.table, Limit: query.limit, ExpressionAttributeValues: values };
    if (query.order === 'due') {
      if (!query.rotationDueBefore) throw new Error('a listing in due order needs rotationDueBefore');
      input.IndexName = ROTATION_INDEX;
      input.KeyConditionExpression = 'lst = :lst AND due <= :now';
      values[':now'] = { S: query.rotationDueBefore };
      if (query.prefix) {
        input.FilterExpression = 'begins_with(pk, :prefix)';
        values[':prefix'] = { S: query.prefix };
      }
    } else {
      input.IndexName = PATH_INDEX;
      input.KeyConditionExpression = query.prefix ? 'lst = :lst AND begins_with(pk, :prefix)' : 'lst = :lst';
      if (query.prefix) values[':prefix'] = { S: query.prefix };
      if (query.rotationDueBefore) {
        input.FilterExpression = 'due <= :now';
        values[':now'] = { S: query.rotationDueBefore };
      }
    }
    if (query.flaggedOnly) {
      input.FilterExpression = [input.FilterExpression, 'attribute_exists(flag)'].filter(Boolean).join(' AND ');
    }
    if (query.cursor) input.ExclusiveStartKey = decodeCursor(query.cursor, shape, query.prefix);
    const out = await this.send(new QueryCommand(input));
    const page: ListPage = { items: (out.Items ?? []).map((item) => toHead(item)) };
    if (out.LastEvaluatedKey) page.cursor = encodeCursor(out.LastEvaluatedKey, shape);
    return page;
  }

  private async send(command: object): Promise<{ Item?: Item; Items?: Item[]; LastEvaluatedKey?: Item }> {
    try {
      return (await this.client.send(command as never)) as never;
    } catch (error) {
      throw mapDynamoError(error);
    }
  }
}
