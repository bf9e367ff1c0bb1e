import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { ValidationError, VersionConflictError } from '../../core/errors';
import type {
  AccessSummary,
  ChainSource,
  TrailCheckpoint,
  TrailPage,
  TrailQuery,
  TrailRecord,
  TrailStore,
} from '../../core/ports';
import { CHAIN_INDEX, CHAIN_SPREAD, PATH_SHARDS } from './audit-table';
import { mapDynamoError } from './errors';
import type { Item } from './item-codec';
import {
  CHECKPOINT_PARTITION,
  chainCheckpointPartition,
  chainRecordPartition,
  checkpointKey,
  fromCheckpoint,
  fromRecord,
  recordPartition,
  toCheckpoint,
  toRecord,
} from './trail-codec';

/** Records describe's summary examines per shard (8 shards: at most 1,000 per describe). */
export const SUMMARY_RECORDS_PER_SHARD = 125;
const DAY_MS = 86_400_000;
/** Day partitions read at once when verify looks for chains (400 days of retention: 400 queries). */
const DAY_QUERY_CONCURRENCY = 8;

interface QueryOut {
  Items?: Item[];
  LastEvaluatedKey?: Item;
}

/**
 * The access trail on its own DynamoDB table (see trail-codec.ts for the item layout). Only
 * PutItem (conditional: a record is never overwritten), GetItem and Query: the role the vault
 * runs as may do nothing else there, so only TTL ever deletes a record.
 */
export class DynamoDbTrailStore implements TrailStore, ChainSource {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async append(record: TrailRecord): Promise<void> {
    await this.putNew(fromRecord(record));
  }

  async putCheckpoint(checkpoint: TrailCheckpoint): Promise<void> {
    await this.putNew(fromCheckpoint(checkpoint));
  }

  async recentCheckpoints(
    since: string,
    until: string,
    limit: number,
  ): Promise<Array<{ chain: string; n: number; expiresAt: number }>> {
    const found: Array<{ chain: string; n: number; expiresAt: number }> = [];
    // Newest day first, so the limit keeps the latest.
    for (const day of days(since, until).reverse()) {
      if (found.length >= limit) break;
      const out = await this.query({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk >= :since',
        ExpressionAttributeValues: { ':pk': { S: `${CHECKPOINT_PARTITION}${day}` }, ':since': { S: since } },
        ProjectionExpression: 'sk, #exp',
        ExpressionAttributeNames: { '#exp': 'exp' },
        ScanIndexForward: false,
        Limit: limit - found.length,
      });
      for (const item of out.Items ?? []) {
        const key = checkpointKey(item.sk?.S ?? '');
        if (key) found.push({ ...key, expiresAt: Number(item.exp?.N ?? 0) });
      }
    }
    return found;
  }

  /**
   * One page, newest first: each of the path's shards is read from its own position (the page
   * size from each), the results merged by time, and the newest `limit` kept. The cursor holds
   * every shard's position: the sort key of the last record taken from it, or null once done.
   */
  async history(query: TrailQuery): Promise<TrailPage> {
    const positions = query.cursor !== undefined ? readPositions(query.cursor) : new Array(PATH_SHARDS).fill('');
    const pages = await Promise.all(
      positions.map((position, shard) =>
        position === null
          ? undefined
          : this.query({
              TableName: this.table,
              KeyConditionExpression: 'pk = :pk AND sk BETWEEN :since AND :until',
              ExpressionAttributeValues: {
                ':pk': { S: recordPartition(query.path, shard) },
                // A sort key is `<time>#...`: BETWEEN since AND until keeps since <= time < until.
                ':since': { S: query.since },
                ':until': { S: query.until },
              },
              ScanIndexForward: false,
              Limit: query.limit,
              ...(position !== '' && {
                ExclusiveStartKey: { pk: { S: recordPartition(query.path, shard) }, sk: { S: position } },
              }),
            }),
      ),
    );
    const candidates = pages.flatMap((page, shard) => (page?.Items ?? []).map((item) => ({ shard, item })));
    candidates.sort((a, b) => (a.item.sk!.S! < b.item.sk!.S! ? 1 : -1));
    const taken = candidates.slice(0, query.limit);
    const next = positions.map((position, shard) => {
      const page = pages[shard];
      if (!page) return null;
      const fromShard = taken.filter((t) => t.shard === shard);
      if (fromShard.length === (page.Items?.length ?? 0) && !page.LastEvaluatedKey) return null;
      return fromShard.length > 0 ? fromShard[fromShard.length - 1]!.item.sk!.S! : position;
    });
    const result: TrailPage = { records: taken.map((t) => toRecord(t.item)) };
    if (next.some((position) => position !== null)) result.cursor = JSON.stringify(next);
    return result;
  }

  /**
   * Reads of the path in the last day: each shard's latest SUMMARY_RECORDS_PER_SHARD records are
   * examined (of any action), so a describe costs 8 small queries however hot the secret is.
   * The count is then a lower bound, and says so.
   */
  async summary(path: string, since: string): Promise<AccessSummary> {
    const pages = await Promise.all(
      Array.from({ length: PATH_SHARDS }, (_, shard) =>
        this.query({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: '#act = :read AND #dec = :allow AND #res = :ok',
          ExpressionAttributeNames: { '#act': 'act', '#dec': 'dec', '#res': 'res', '#who': 'who' },
          ExpressionAttributeValues: {
            ':pk': { S: recordPartition(path, shard) },
            ':read': { S: 'read' },
            ':allow': { S: 'allow' },
            ':ok': { S: 'ok' },
          },
          ProjectionExpression: 'sk, #who',
          ScanIndexForward: false,
          Limit: SUMMARY_RECORDS_PER_SHARD,
        }),
      ),
    );
    const reads = pages.flatMap((page) => page.Items ?? []).map((item) => ({ sk: item.sk!.S!, who: item.who?.S }));
    const latest = reads.reduce<(typeof reads)[number] | undefined>((a, b) => (!a || b.sk > a.sk ? b : a), undefined);
    const summary: AccessSummary = {
      readsLast24h: reads.filter((r) => r.sk >= since).length,
      // A shard that stopped inside the window may hold more reads in it.
      readsLast24hCapped: pages.some((page) => (page.LastEvaluatedKey?.sk?.S ?? '') >= since),
    };
    if (latest) {
      summary.lastReadAt = latest.sk.split('#')[0]!;
      if (latest.who) summary.lastReadBy = latest.who;
    }
    return summary;
  }

  /** Reads the checkpoint partition of every day in the range, a few days at a time. */
  async chainsSince(since: string, until: string): Promise<string[]> {
    const chains = new Set<string>();
    const pending = days(since, until);
    const worker = async () => {
      for (let day = pending.shift(); day !== undefined; day = pending.shift()) {
        for await (const item of this.queryAll({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk >= :since',
          ExpressionAttributeValues: { ':pk': { S: `${CHECKPOINT_PARTITION}${day}` }, ':since': { S: since } },
          ProjectionExpression: 'sk',
        })) {
          const key = checkpointKey(item.sk?.S ?? '');
          if (key) chains.add(key.chain);
        }
      }
    };
    await Promise.all(Array.from({ length: DAY_QUERY_CONCURRENCY }, worker));
    return [...chains];
  }

  async chainsOfPath(path: string): Promise<{ chains: string[]; records: number }> {
    const chains = new Set<string>();
    let records = 0;
    for (let shard = 0; shard < PATH_SHARDS; shard++) {
      for await (const item of this.queryAll({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: recordPartition(path, shard) } },
        ProjectionExpression: 'cs',
      })) {
        records += 1;
        const cs = item.cs?.S ?? '';
        chains.add(cs.slice(0, Math.max(0, cs.lastIndexOf('#'))));
      }
    }
    return { chains: [...chains], records };
  }

  async checkpoints(chain: string): Promise<TrailCheckpoint[]> {
    const found: TrailCheckpoint[] = [];
    for await (const item of this.queryAll({
      TableName: this.table,
      IndexName: CHAIN_INDEX,
      KeyConditionExpression: 'cs = :cs',
      ExpressionAttributeValues: { ':cs': { S: chainCheckpointPartition(chain) } },
    })) {
      found.push(toCheckpoint(item));
    }
    return found;
  }

  /** The chain's records in seq order: its index partitions read page by page and merged. */
  async *records(chain: string, afterSeq: number): AsyncIterable<TrailRecord> {
    const parts = Array.from({ length: CHAIN_SPREAD }, (_, part) =>
      this.queryAll({
        TableName: this.table,
        IndexName: CHAIN_INDEX,
        KeyConditionExpression: 'cs = :cs AND #seq > :after',
        ExpressionAttributeNames: { '#seq': 'seq' },
        ExpressionAttributeValues: {
          ':cs': { S: chainRecordPartition(chain, part) },
          ':after': { N: String(afterSeq) },
        },
      })[Symbol.asyncIterator](),
    );
    const heads = await Promise.all(parts.map((part) => part.next()));
    for (;;) {
      let pick = -1;
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i]!;
        if (head.done) continue;
        if (pick < 0 || Number(head.value.seq!.N) < Number((heads[pick]!.value as Item).seq!.N)) pick = i;
      }
      if (pick < 0) return;
      yield toRecord(heads[pick]!.value as Item);
      heads[pick] = await parts[pick]!.next();
    }
  }

  /** A put that never overwrites. Finding the item already there is a retried write of ours, so it counts as done. */
  private async putNew(item: Item): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (error) {
      const mapped = mapDynamoError(error);
      if (mapped instanceof VersionConflictError) return;
      throw mapped;
    }
  }

  private async query(input: QueryCommandInput): Promise<QueryOut> {
    try {
      return (await this.client.send(new QueryCommand(input))) as QueryOut;
    } catch (error) {
      throw mapDynamoError(error);
    }
  }

  private async *queryAll(input: QueryCommandInput): AsyncIterable<Item> {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.query({ ...input, ...(start && { ExclusiveStartKey: start }) });
      yield* out.Items ?? [];
      start = out.LastEvaluatedKey;
    } while (start);
  }
}

/** The days (YYYY-MM-DD, UTC) from since's to until's, inclusive. */
function days(since: string, until: string): string[] {
  const out: string[] = [];
  const last = Date.parse(until.slice(0, 10));
  for (let t = Date.parse(since.slice(0, 10)); t <= last; t += DAY_MS) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** A history cursor's per-shard positions; the vault seals it, and it is checked here all the same. */
function readPositions(cursor: string): Array<string | null> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    throw new ValidationError('invalid cursor');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== PATH_SHARDS ||
    !parsed.every((p) => p === null || (typeof p === 'string' && p.length <= 200))
  )
    throw new ValidationError('invalid cursor');
  return parsed as Array<string | null>;
}
