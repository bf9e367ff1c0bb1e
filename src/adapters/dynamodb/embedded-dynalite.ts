import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, type ClientRequestArgs } from 'node:http';
import { type AddressInfo, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import dynalite from 'dynalite';
import { assertStoreFree } from './store-lock';

export interface EmbeddedDynamo {
  /** An http:// URL for other processes (TCP only); a Unix socket store has none. */
  endpoint?: string;
  client: DynamoDBClient;
  /** Another client of the same store (tests that wrap one in a mock). */
  newClient(): DynamoDBClient;
  close(): Promise<void>;
}

export interface DynaliteOptions {
  /** Persist under this directory; in memory when absent. */
  path?: string;
  /**
   * `socket` (default): a Unix domain socket in a directory only this user can enter, so no
   * other local account can reach the store. `tcp`: loopback TCP on a free port, for a test
   * that must hand the endpoint to another process (the Lambda bundle).
   */
  listen?: 'socket' | 'tcp';
}

/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with its terminator). */
const MAX_SOCKET_PATH = 107;

/** An agent whose every connection is the Unix socket, whatever host the SDK names. */
class UnixSocketAgent extends Agent {
  constructor(private readonly socketPath: string) {
    super({ keepAlive: true });
  }
  override createConnection(_options: ClientRequestArgs) {
    return createConnection(this.socketPath);
  }
}

/**
 * dynalite (DynamoDB's protocol in pure JS): persisted under `path`, or in memory. The vault
 * talks to it over HTTP with the real SDK, so embedded mode exercises the same adapter as
 * production; by default over a Unix socket, so `npm start` opens one TCP listener, its own.
 */
export async function startDynalite(options: DynaliteOptions = {}): Promise<EmbeddedDynamo> {
  const { path } = options;
  if (path) {
    await assertStoreFree(path);
    mkdirSync(path, { recursive: true, mode: 0o700 });
  }
  const server = dynalite({ ...(path && { path }), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const credentials = { accessKeyId: 'embedded', secretAccessKey: 'embedded' };
  const requestHandler = { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true };
  const cleanups: Array<() => void> = [];

  let newClient: () => DynamoDBClient;
  let endpoint: string | undefined;
  if (options.listen === 'tcp') {
    await listening(server, () => server.listen(0, '127.0.0.1'));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const url = endpoint;
    // dynalite checks that requests are signed but not by whom.
    newClient = () =>
      new DynamoDBClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 3, requestHandler });
  } else {
    const socketPath = socketPathFor(path, cleanups);
    // A socket file left by a crash: the store lock above proved no live process owns it.
    rmSync(socketPath, { force: true });
    await listening(server, () => server.listen(socketPath));
    cleanups.push(() => rmSync(socketPath, { force: true }));
    newClient = () =>
      new DynamoDBClient({
        endpoint: 'http://embedded-dynalite',
        region: 'us-east-1',
        credentials,
        maxAttempts: 3,
        requestHandler: new NodeHttpHandler({ ...requestHandler, httpAgent: new UnixSocketAgent(socketPath) }),
      });
  }
  const client = newClient();
  return {
    ...(endpoint && { endpoint }),
    client,
    newClient,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const cleanup of cleanups.reverse()) cleanup();
    },
  };
}

/** Beside the store when the path fits, else in a fresh private (0700) temporary directory. */
function socketPathFor(path: string | undefined, cleanups: Array<() => void>): string {
  const beside = path && join(dirname(path), 'dynamodb.sock');
  if (beside && Buffer.byteLength(beside) <= MAX_SOCKET_PATH) return beside;
  const dir = mkdtempSync(join(tmpdir(), 'kms-vault-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'dynamodb.sock');
}

function listening(server: ReturnType<typeof dynalite>, listen: () => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
    listen();
  });
}
