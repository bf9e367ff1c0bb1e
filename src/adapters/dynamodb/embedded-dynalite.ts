import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { assertStoreFree } from './store-lock';

export interface EmbeddedDynamo {
  endpoint: string;
  client: DynamoDBClient;
  close(): Promise<void>;
}

/**
 * dynalite (DynamoDB's protocol in pure JS) on loopback: persisted under `path`, or in
 * memory when `path` is undefined. The vault talks to it over HTTP with the real SDK, so
 * embedded mode exercises the same adapter as production.
 */
export async function startDynalite(path?: string): Promise<EmbeddedDynamo> {
  if (path) {
    await assertStoreFree(path);
    mkdirSync(path, { recursive: true, mode: 0o700 });
  }
  const server = dynalite({ ...(path && { path }), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    // dynalite checks that requests are signed but not by whom.
    credentials: { accessKeyId: 'embedded', secretAccessKey: 'embedded' },
    maxAttempts: 3,
  });
  return {
    endpoint,
    client,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
