import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDbSecretStore } from '../../src/adapters/dynamodb/dynamodb-secret-store';
import { ensureTable, KEY_INDEX, tableDefinition } from '../../src/adapters/dynamodb/table';
import { dynamo, stopDynamo } from '../support/dynamo';

afterAll(stopDynamo);

/** The table as version 0.1 made it: two indexes, without the exchange-key attributes. */
function version01(tableName: string): CreateTableCommandInput {
  const current = tableDefinition(tableName);
  const old = ['ver', 'rev', 'labels', 'cAt', 'cBy', 'uAt', 'uBy', 'since', 'rotDays', 'vers'];
  return {
    ...current,
    AttributeDefinitions: current.AttributeDefinitions!.filter((a) => a.AttributeName !== 'bidx'),
    GlobalSecondaryIndexes: current
      .GlobalSecondaryIndexes!.filter((i) => i.IndexName !== KEY_INDEX)
      .map((i) => ({
        ...i,
        Projection: {
          ProjectionType: 'INCLUDE',
          NonKeyAttributes: [...old, ...(i.IndexName === 'by-path' ? ['due'] : [])],
        },
      })),
  };
}

const head = (path: string) => ({
  pk: { S: path },
  sk: { S: 'HEAD' },
  ver: { N: '1' },
  rev: { N: '1' },
  labels: { M: {} },
  cAt: { S: '2026-01-01T00:00:00.000Z' },
  cBy: { S: 'arn:aws:iam::111122223333:role/a' },
  uAt: { S: '2026-01-01T00:00:00.000Z' },
  uBy: { S: 'arn:aws:iam::111122223333:role/a' },
  since: { S: '2026-01-01T00:00:00.000Z' },
  vers: { S: '[{"version":1,"createdAt":"2026-01-01T00:00:00.000Z","createdBy":"x","state":"active"}]' },
  lst: { S: 'HEAD' },
  due: { S: '2026-01-31T00:00:00.000Z' },
  alg: { S: 'A256GCM.KMS.1' },
  iv: { B: Buffer.alloc(12, 1) },
  ct: { B: Buffer.alloc(20, 2) },
  edk: { B: Buffer.alloc(30, 3) },
  kid: { S: 'local:0' },
});

describe('ensureTable on a table an older version made', () => {
  it('rebuilds the indexes through a copy and keeps every item, once', async () => {
    const { client } = await dynamo();
    const name = `migrate-${Date.now()}`;
    await client.send(new CreateTableCommand(version01(name)));
    for (let i = 0; i < 40; i++) await client.send(new PutItemCommand({ TableName: name, Item: head(`a/s${i}`) }));
    await client.send(
      new PutItemCommand({
        TableName: name,
        Item: { pk: { S: 'a/s1' }, sk: { S: 'V#0000000001' }, erased: { BOOL: true } },
      }),
    );
    const before = (await client.send(new ScanCommand({ TableName: name }))).Items!;

    await ensureTable(client, name);

    const table = (await client.send(new DescribeTableCommand({ TableName: name }))).Table!;
    expect(table.GlobalSecondaryIndexes!.map((i) => i.IndexName).sort()).toEqual([
      KEY_INDEX,
      'by-path',
      'by-rotation-due',
    ]);
    const after = (await client.send(new ScanCommand({ TableName: name }))).Items!;
    const key = (i: Record<string, { S?: string }>) => `${i.pk!.S}|${i.sk!.S}`;
    expect(after.map(key).sort()).toEqual(before.map(key).sort());
    await expect(client.send(new DescribeTableCommand({ TableName: `${name}.migrating` }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    // The store lists through the rebuilt index, and a second run changes nothing.
    const store = new DynamoDbSecretStore({ client, tableName: name });
    expect((await store.list({ prefix: 'a/', limit: 100 })).items).toHaveLength(40);
    await ensureTable(client, name);
    expect((await client.send(new ScanCommand({ TableName: name }))).Items).toHaveLength(after.length);
  });

  it('finishes a migration that stopped after the old table was dropped', async () => {
    const { client } = await dynamo();
    const name = `resume-${Date.now()}`;
    // What a crash leaves: only the copy, holding every item.
    await client.send(new CreateTableCommand(tableDefinition(`${name}.migrating`)));
    for (let i = 0; i < 5; i++) {
      await client.send(new PutItemCommand({ TableName: `${name}.migrating`, Item: head(`b/s${i}`) }));
    }
    await ensureTable(client, name);
    expect((await client.send(new ScanCommand({ TableName: name }))).Items).toHaveLength(5);
    await expect(client.send(new DescribeTableCommand({ TableName: `${name}.migrating` }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
