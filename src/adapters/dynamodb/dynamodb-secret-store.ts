import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import type { Envelope } from '../../core/ports';
import { ValidationError, VersionConflictError } from '../../core/errors';
import type { ListPage, ListQuery, SecretHead, SecretMetadata, SecretStore, VersionSummary } from '../../core/ports';
import { mapDynamoError } from './errors';
import { LIST_PARTITION, PATH_INDEX, ROTATION_INDEX } from './table';

type Item = Record<string, AttributeValue>;

const HEAD = 'HEAD';
const versionKey = (version: number) => `V#${String(version).padStart(10, '0')}`;

const summarySchema = z.array(
  z.object({
    version: z.number().int(),
    createdAt: z.string(),
    createdBy: z.string(),
    state: z.enum(['active', 'deleted', 'destroyed']),
    kid: z.string().optional(),
  }),
);

/** The cursor binds the query it came from, so it cannot be replayed against another one. */
const cursorSchema = z.strictObject({
  q: z.string(),
  k: z.strictObject({
    pk: z.strictObject({ S: z.string() }),
    sk: z.strictObject({ S: z.string() }),
    lst: z.strictObject({ S: z.string() }),
    due: z.strictObject({ S: z.string() }).optional(),
  }),
});

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
    return out.Item && out.Item.ct ? toEnvelope(out.Item) : undefined;
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

  cursorAfter(item: SecretMetadata, query: ListQuery): string {
    // The key DynamoDB would return as LastEvaluatedKey after this item: table and index keys.
    const lastKey: Item = { ...key(item.path, HEAD), lst: { S: LIST_PARTITION } };
    if (query.rotationDueBefore) lastKey.due = { S: item.rotationDueAt };
    return encodeCursor(lastKey, cursorShape(query));
  }

  async list(query: ListQuery): Promise<ListPage> {
    const shape = cursorShape(query);
    const input: QueryCommandInput = {
      TableName: this.table,
      Limit: query.limit,
      ExpressionAttributeValues: { ':lst': { S: LIST_PARTITION } },
    };
    if (query.rotationDueBefore) {
      input.IndexName = ROTATION_INDEX;
      input.KeyConditionExpression = 'lst = :lst AND due <= :now';
      input.ExpressionAttributeValues![':now'] = { S: query.rotationDueBefore };
      if (query.prefix) {
        input.FilterExpression = 'begins_with(pk, :prefix)';
        input.ExpressionAttributeValues![':prefix'] = { S: query.prefix };
      }
    } else {
      input.IndexName = PATH_INDEX;
      input.KeyConditionExpression = query.prefix ? 'lst = :lst AND begins_with(pk, :prefix)' : 'lst = :lst';
      if (query.prefix) input.ExpressionAttributeValues![':prefix'] = { S: query.prefix };
    }
    if (query.cursor) input.ExclusiveStartKey = decodeCursor(query.cursor, shape);
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

function key(path: string, sk: string): Item {
  return { pk: { S: path }, sk: { S: sk } };
}

function fromEnvelope(envelope: Envelope): Item {
  return {
    alg: { S: envelope.alg },
    iv: { B: envelope.iv },
    ct: { B: envelope.ct },
    edk: { B: envelope.edk },
    kid: { S: envelope.kid },
  };
}

function toEnvelope(item: Item): Envelope {
  return {
    alg: item.alg!.S!,
    iv: Buffer.from(item.iv!.B!),
    ct: Buffer.from(item.ct!.B!),
    edk: Buffer.from(item.edk!.B!),
    kid: item.kid!.S!,
  };
}

function fromHead(head: SecretHead): Item {
  const item: Item = {
    ...key(head.path, HEAD),
    ver: { N: String(head.version) },
    rev: { N: String(head.rev) },
    labels: { M: Object.fromEntries(Object.entries(head.labels).map(([k, v]) => [k, { S: v }])) },
    cAt: { S: head.createdAt },
    cBy: { S: head.createdBy },
    uAt: { S: head.updatedAt },
    uBy: { S: head.updatedBy },
    since: { S: head.currentSince },
    vers: { S: JSON.stringify(head.versions) },
    // Index keys: only HEAD items carry them, so both indexes stay sparse.
    lst: { S: LIST_PARTITION },
    due: { S: head.rotationDueAt },
  };
  if (head.rotationDays !== undefined) item.rotDays = { N: String(head.rotationDays) };
  if (head.envelope) Object.assign(item, fromEnvelope(head.envelope));
  return item;
}

function toHead(item: Item): SecretHead {
  const head: SecretHead = {
    path: item.pk!.S!,
    version: Number(item.ver!.N),
    rev: Number(item.rev!.N),
    labels: Object.fromEntries(Object.entries(item.labels?.M ?? {}).map(([k, v]) => [k, v.S ?? ''])),
    createdAt: item.cAt!.S!,
    createdBy: item.cBy!.S!,
    updatedAt: item.uAt!.S!,
    updatedBy: item.uBy!.S!,
    currentSince: item.since!.S!,
    rotationDueAt: item.due!.S!,
    versions: summarySchema.parse(JSON.parse(item.vers!.S!)) as VersionSummary[],
  };
  if (item.rotDays?.N) head.rotationDays = Number(item.rotDays.N);
  if (item.ct) head.envelope = toEnvelope(item);
  return head;
}

function cursorShape(query: ListQuery): string {
  return `${query.rotationDueBefore ? 'due' : 'path'}:${query.prefix}`;
}

function encodeCursor(lastKey: Item, shape: string): string {
  return Buffer.from(JSON.stringify({ q: shape, k: lastKey }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, shape: string): Item {
  let parsed: z.infer<typeof cursorSchema>;
  try {
    parsed = cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch (cause) {
    throw new ValidationError('cursor is not valid', [], { cause });
  }
  if (parsed.q !== shape) throw new ValidationError('cursor belongs to a different listing');
  return parsed.k as Item;
}
