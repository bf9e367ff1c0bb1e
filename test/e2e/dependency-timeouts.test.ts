import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoClientConfig } from '../../src/adapters/dynamodb/table';
import { KmsKeyProvider } from '../../src/adapters/kms/kms-key-provider';
import { testApp } from '../support/app';
import { stopDynamo } from '../support/dynamo';
import { KEY_ARN } from '../support/fake-kms';

/** The documented budget: 3 attempts of at most 3 s each, plus the SDK's short back-off. */
const BUDGET_MS = 12_000;

/** A real peer that accepts every connection and never answers a byte. */
async function silentPeer(): Promise<{ url: string; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, sockets };
}

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
let peer: Awaited<ReturnType<typeof silentPeer>>;
beforeAll(async () => {
  peer = await silentPeer();
});
afterAll(async () => {
  for (const socket of peer.sockets) socket.destroy();
  await new Promise<void>((resolve) => peer.server.close(() => resolve()));
  await stopDynamo();
});

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work;
  return { value, ms: Date.now() - started };
}

describe('a dependency that accepts and never answers costs a 503 within the budget', () => {
  it('KMS (a write) and DynamoDB (a read), with the production client settings', async () => {
    // The production KMS settings (kmsClientConfig) with only the endpoint moved to the silent peer.
    const silentKms = new KmsKeyProvider({
      keyId: KEY_ARN,
      clientConfig: { region: 'us-east-1', endpoint: peer.url, credentials },
    });
    const kmsDown = await testApp({ keys: silentKms });
    const silentDynamo = new DynamoDBClient({ ...dynamoClientConfig('us-east-1'), endpoint: peer.url, credentials });
    const dynamoDown = await testApp({ dynamoClient: silentDynamo });

    const [write, read] = await Promise.all([
      timed(kmsDown.as().put('/v1/secrets/t/write', { value: 'v' })),
      timed(dynamoDown.as().get('/v1/secrets/t/read')),
    ]);
    for (const { value: res, ms } of [write, read]) {
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('dependency_unavailable');
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(ms).toBeLessThan(BUDGET_MS);
    }
    // Nothing was stored by the write that could not get a data key.
    expect(await kmsDown.scan()).toEqual([]);
  }, 30_000);
});
