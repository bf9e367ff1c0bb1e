import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { CHAIN_INDEX, CHAIN_SPREAD, ensureAuditTable } from '../../src/adapters/dynamodb/audit-table';
import { DynamoDbTrailStore } from '../../src/adapters/dynamodb/dynamodb-trail-store';
import { toRecord } from '../../src/adapters/dynamodb/trail-codec';
import { AccessChain, type AccessChainSettings } from '../../src/core/access-chain';
import { DependencyError } from '../../src/core/errors';
import type { AccessEntry } from '../../src/core/ports';
import { recordHash } from '../../src/core/trail-format';
import { type VerifyOptions, verifyTrail } from '../../src/core/trail-verify';
import { TEST_MACS } from '../support/app';
import { dynamo, stopDynamo } from '../support/dynamo';
import { FakeClock } from '../support/fakes';

afterAll(stopDynamo);

const mocks: Array<{ restore(): void }> = [];
afterEach(() => {
  for (const mock of mocks.splice(0)) mock.restore();
});

type Item = Record<string, AttributeValue>;
const READER = 'arn:aws:iam::111122223333:role/trading-engine';
const entry = (i: number, path = 'exchange-keys/u-1/okx'): AccessEntry => ({
  principal: READER,
  action: 'read',
  path,
  versions: [1],
  decision: 'allow',
  reason: 'policy rule matched',
  result: 'ok',
  requestId: `request-${i}`,
  purpose: 'rebalance',
});

/** A fresh trail table on the shared dynalite, the raw client to tamper with it, and a verifier. */
async function trail() {
  const { client } = await dynamo();
  const table = `a-${randomUUID()}`;
  await ensureAuditTable(client, table);
  const store = new DynamoDbTrailStore(client, table);
  const clock = new FakeClock(new Date());
  const chain = (settings: Partial<AccessChainSettings> = {}, over = store) =>
    new AccessChain(over, TEST_MACS, clock, {
      retentionDays: 400,
      checkpointRecords: 1000,
      checkpointSeconds: 3600,
      ...settings,
    });
  const write = async (on: AccessChain, from: number, to: number) => {
    for (let i = from; i <= to; i++) {
      clock.advance(1);
      await on.record(entry(i));
    }
  };
  const index = async (cs: string, seq: number): Promise<Item> => {
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        IndexName: CHAIN_INDEX,
        KeyConditionExpression: 'cs = :cs AND #seq = :seq',
        ExpressionAttributeNames: { '#seq': 'seq' },
        ExpressionAttributeValues: { ':cs': { S: cs }, ':seq': { N: String(seq) } },
      }),
    );
    if (out.Items?.length !== 1) throw new Error(`no single item ${cs} ${seq}`);
    return out.Items[0]!;
  };
  const record = (on: AccessChain, seq: number) => index(`${on.chain}#${seq % CHAIN_SPREAD}`, seq);
  const checkpoint = (on: AccessChain, n: number) => index(`${on.chain}#cp`, n);
  const put = (item: Item) => client.send(new PutItemCommand({ TableName: table, Item: item }));
  const remove = (item: Item) =>
    client.send(new DeleteItemCommand({ TableName: table, Key: { pk: item.pk!, sk: item.sk! } }));
  const verify = (options: Partial<VerifyOptions> = {}) =>
    verifyTrail({ source: store, macs: TEST_MACS, now: clock.now(), retentionDays: 2, settleSeconds: 0, ...options });
  return { client, table, store, clock, chain, write, record, checkpoint, put, remove, verify };
}

describe('audit verify: what a chain shows of changes to the table', () => {
  it('a whole, closed chain verifies clean and fully covered', async () => {
    const t = await trail();
    const chain = t.chain({ checkpointRecords: 4 });
    await t.write(chain, 1, 10);
    await chain.close();
    const report = await t.verify();
    expect(report.findings).toEqual([]);
    expect(report.chains).toEqual([
      expect.objectContaining({ chain: chain.chain, records: 10, lastSeq: 10, coveredThrough: 10, checkpoints: 3 }),
    ]);
    expect(report.chains[0]!.uncovered).toBeUndefined();
  });

  it('an altered record: its hash no longer matches what the next record names', async () => {
    const t = await trail();
    const chain = t.chain();
    await t.write(chain, 1, 10);
    await chain.close();
    const item = await t.record(chain, 4);
    await t.put({ ...item, who: { S: 'arn:aws:iam::111122223333:role/someone-else' } });
    const report = await t.verify();
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'altered', chain: chain.chain, from: 4, to: 5 })]);
  });

  it('an altered record whose successors were re-linked by hand: the checkpoint MAC still tells', async () => {
    const t = await trail();
    const chain = t.chain();
    await t.write(chain, 1, 10);
    await chain.close();
    let previous = await t.record(chain, 3);
    let prev = recordHash(toRecord(previous));
    for (let seq = 4; seq <= 10; seq++) {
      const item = await t.record(chain, seq);
      const changed: Item = { ...item, prev: { S: prev } };
      if (seq === 4) changed.pur = { S: 'an innocent purpose' };
      await t.put(changed);
      prev = recordHash(toRecord(changed));
      previous = changed;
    }
    const report = await t.verify();
    expect(report.findings).toEqual([
      expect.objectContaining({ kind: 'altered', from: 1, to: 10, detail: expect.stringMatching(/checkpoint 1/) }),
    ]);
  });

  it('a record deleted from the middle is reported removed', async () => {
    const t = await trail();
    const chain = t.chain({ checkpointRecords: 5 });
    await t.write(chain, 1, 10);
    await chain.close();
    await t.remove(await t.record(chain, 6));
    await t.remove(await t.record(chain, 7));
    const report = await t.verify();
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'removed', chain: chain.chain, from: 6, to: 7 })]);
  });

  it('a forged checkpoint is reported and trusted for nothing: it cannot excuse a removal', async () => {
    const t = await trail();
    const chain = t.chain({ checkpointRecords: 5 });
    await t.write(chain, 1, 10);
    await chain.close();
    await t.remove(await t.record(chain, 3));
    // The attacker lists the removed record as a failed write; the MAC no longer verifies.
    const checkpoint = await t.checkpoint(chain, 1);
    await t.put({ ...checkpoint, fail: { S: '3' } });
    const report = await t.verify();
    expect(report.findings.map((f) => [f.kind, f.from, f.to])).toEqual([
      ['forged-checkpoint', 1, 1],
      ['removed', 3, 3],
    ]);
    expect(report.chains[0]!.failedWrites).toEqual([]);
  });

  it('after a crash (no final checkpoint) it reports the uncovered tail', async () => {
    const t = await trail();
    const chain = t.chain({ checkpointRecords: 4 });
    await t.write(chain, 1, 11);
    // No close(): the process died. Checkpoints at 4 and 8 cover the rest.
    const report = await t.verify();
    expect(report.findings).toEqual([]);
    expect(report.chains[0]).toMatchObject({
      coveredThrough: 8,
      uncovered: { records: 3, fromSeq: 9, toSeq: 11, since: expect.any(String) },
    });
  });

  it('a failed write is excused by the next checkpoint, not reported as removed', async () => {
    const t = await trail();
    const { client: real } = await dynamo();
    const client = new DynamoDBClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mocks.push(mock);
    mock.on(PutItemCommand).callsFake(async (input) => {
      if (input.Item?.seq?.N === '3' && input.Item?.rid)
        throw Object.assign(new Error('ThrottlingException'), { name: 'ThrottlingException', $metadata: {} });
      return real.send(new PutItemCommand(input));
    });
    mock.on(QueryCommand).callsFake((input) => real.send(new QueryCommand(input)));
    const chain = t.chain({}, new DynamoDbTrailStore(client, t.table));
    await t.write(chain, 1, 2);
    await expect(chain.record(entry(3))).rejects.toBeInstanceOf(DependencyError);
    await t.write(chain, 4, 6);
    await chain.close();
    const report = await t.verify();
    expect(report.findings).toEqual([]);
    expect(report.chains[0]).toMatchObject({ records: 5, failedWrites: [3], coveredThrough: 6 });
  });

  it('records gone because their retention ran out are expired, not removed', async () => {
    const t = await trail();
    const chain = t.chain({ retentionDays: 1 });
    await t.write(chain, 1, 3);
    t.clock.advance(2 * 86_400_000);
    await t.write(chain, 4, 6);
    await chain.close();
    // TTL removed the first three records (and would remove checkpoint 0, the start marker).
    for (const seq of [1, 2, 3]) await t.remove(await t.record(chain, seq));
    // One removed before its time is still a removal.
    await t.remove(await t.record(chain, 5));
    const report = await t.verify();
    expect(report.findings.map((f) => [f.kind, f.from, f.to])).toEqual([['removed', 5, 5]]);
    expect(report.chains[0]).toMatchObject({ expired: 3 });
  });

  it("a chain cut back, or removed whole, is caught by another chain's checkpoint that witnessed it", async () => {
    const t = await trail();
    const first = t.chain();
    const second = t.chain();
    await t.write(first, 1, 5);
    await first.checkpoint();
    await t.write(second, 1, 5);
    await second.close();
    await t.write(first, 6, 8);
    await first.close();
    expect((await t.verify()).findings).toEqual([]);
    // Cut the first chain back to before its checkpoint 1: its records and checkpoints since.
    for (let seq = 1; seq <= 8; seq++) await t.remove(await t.record(first, seq));
    await t.remove(await t.checkpoint(first, 2));
    await t.remove(await t.checkpoint(first, 1));
    expect((await t.verify()).findings).toEqual([
      expect.objectContaining({
        kind: 'truncated',
        chain: first.chain,
        from: 1,
        detail: expect.stringMatching(second.chain),
      }),
    ]);
    await t.remove(await t.checkpoint(first, 0));
    expect((await t.verify()).findings).toEqual([
      expect.objectContaining({ kind: 'missing-chain', chain: first.chain, from: 1 }),
    ]);
  });

  it('--path and --since: only the chains holding the path, each from its last checkpoint before since', async () => {
    const t = await trail();
    const chain = t.chain({ checkpointRecords: 5 });
    await t.write(chain, 1, 10);
    await chain.close();
    const other = t.chain();
    t.clock.advance(1);
    await other.record(entry(1, 'exchange-keys/u-2/bybit'));
    await other.close();
    await t.remove(await t.record(chain, 2));
    const byPath = await t.verify({ path: 'exchange-keys/u-2/bybit' });
    expect(byPath.chains.map((c) => c.chain)).toEqual([other.chain]);
    expect(byPath.path).toEqual({ path: 'exchange-keys/u-2/bybit', records: 1 });
    expect(byPath.findings).toEqual([]);
    // Since a moment after checkpoint 1 (seq 5): record 2 lies before the anchor, unread.
    const anchor = (await t.store.checkpoints(chain.chain)).find((c) => c.n === 1)!;
    const since = new Date(Date.parse(anchor.time) + 1).toISOString();
    const recent = await t.verify({ since });
    expect(recent.findings).toEqual([]);
    expect(recent.chains.find((c) => c.chain === chain.chain)).toMatchObject({ records: 5, coveredThrough: 10 });
    expect((await t.verify()).findings.map((f) => [f.kind, f.from])).toEqual([['removed', 2]]);
  });
});
