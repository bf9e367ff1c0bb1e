/**
 * Child process: the baseline the performance budget compares against. A bare express 5 app
 * whose routes do the same storage round trip as the vault, and nothing else: no auth, no
 * policy, no crypto, no validation, no audit. Same dynalite (on disk, in this process, as in
 * the vault's embedded mode), same DynamoDBClient settings (startDynalite), same table.
 *
 * - GET  /v1/secrets/{path}: one consistent GetItem of the HEAD item, answered as JSON.
 * - PUT  /v1/secrets/{path}: one PutItem of an item of the same shape and size.
 *
 * The item read is written at start-up through the vault's own store and Vault.put, so it is
 * byte for byte the shape the vault reads (envelope, metadata, version summary).
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type AttributeValue, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import express from 'express';
import { DynamoDbSecretStore } from '../../src/adapters/dynamodb/dynamodb-secret-store';
import { startDynalite } from '../../src/adapters/dynamodb/embedded-dynalite';
import { ensureTable } from '../../src/adapters/dynamodb/table';
import { LocalKeyProvider } from '../../src/adapters/local-keys/local-key-provider';
import { adminPolicy } from '../../src/core/policy';
import { Vault } from '../../src/core/vault';
import { reportStartFailure, serveUntilStopped } from '../lib/child';
import { BENCH_PRINCIPAL, READ_PATH, SECRET_VALUE, TABLE_NAME } from '../lib/workload';

export interface BaselineServerInfo {
  url: string;
}

const PREFIX = '/v1/secrets/';

async function main(): Promise<void> {
  const dataDir = process.env.BENCH_DATA_DIR;
  if (!dataDir) throw new Error('BENCH_DATA_DIR is required');
  const dynamo = await startDynalite({ path: join(dataDir, 'dynamodb') });
  await ensureTable(dynamo.client, TABLE_NAME);
  const store = new DynamoDbSecretStore({ client: dynamo.client, tableName: TABLE_NAME });
  const seeder = new Vault({
    keys: new LocalKeyProvider(randomBytes(32)),
    store,
    policy: adminPolicy(BENCH_PRINCIPAL),
    audit: { record() {} },
    clock: { now: () => new Date() },
    settings: { maxVersions: 10, retentionMinAgeHours: 24, versionCeiling: 100, rotationDays: 30, maxWriteAttempts: 1 },
  });
  await seeder.put({ principal: BENCH_PRINCIPAL, requestId: 'seed' }, READ_PATH, { value: SECRET_VALUE });
  const seeded = await dynamo.client.send(
    new GetItemCommand({
      TableName: TABLE_NAME,
      Key: { pk: { S: READ_PATH }, sk: { S: 'HEAD' } },
      ConsistentRead: true,
    }),
  );
  const template: Record<string, AttributeValue> = seeded.Item!;

  const { client } = dynamo;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/v1/secrets/*path', async (req, res) => {
    const path = req.path.slice(PREFIX.length);
    const out = await client.send(
      new GetItemCommand({ TableName: TABLE_NAME, Key: { pk: { S: path }, sk: { S: 'HEAD' } }, ConsistentRead: true }),
    );
    const item = out.Item;
    if (!item) {
      res.status(404).json({ error: { code: 'NotFound' } });
      return;
    }
    // A response of the vault's shape and about its size; the ciphertext stands in for the value.
    res.json({
      path,
      version: Number(item.ver?.N),
      value: item.ct?.B ? Buffer.from(item.ct.B).toString('base64') : null,
      createdAt: item.cAt?.S,
      createdBy: item.cBy?.S,
    });
  });

  app.put('/v1/secrets/*path', express.json(), async (req, res) => {
    const path = req.path.slice(PREFIX.length);
    const now = new Date().toISOString();
    const value = Buffer.from(JSON.stringify((req.body as { value?: unknown }).value ?? null), 'utf8');
    // The seeded HEAD item with this path, value and time: the same attributes and size.
    await client.send(
      new PutItemCommand({
        TableName: TABLE_NAME,
        Item: { ...template, pk: { S: path }, ct: { B: value }, uAt: { S: now }, since: { S: now } },
      }),
    );
    res.json({ path, updatedAt: now });
  });

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  serveUntilStopped<BaselineServerInfo>({ url: `http://127.0.0.1:${port}` }, async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await dynamo.close();
  });
}

main().catch(reportStartFailure);
