import { randomBytes, randomUUID } from 'node:crypto';
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import request from 'supertest';
import type { Authenticator } from '../../src/adapters/auth/authenticator';
import { ensureAuditTable } from '../../src/adapters/dynamodb/audit-table';
import { DynamoDbSecretStore } from '../../src/adapters/dynamodb/dynamodb-secret-store';
import { DynamoDbTrailStore } from '../../src/adapters/dynamodb/dynamodb-trail-store';
import { type AppOptions, createApp } from '../../src/adapters/http/app';
import { LocalMacProvider } from '../../src/adapters/local-keys/local-mac-provider';
import { logAuditSink } from '../../src/adapters/log/audit-log-sink';
import { assembleVault } from '../../src/composition/assemble';
import { AccessChain, type AccessChainSettings } from '../../src/core/access-chain';
import type { DataKeyCacheSettings } from '../../src/core/data-key-cache';
import { AuthenticationError } from '../../src/core/errors';
import type { ExchangeKeyDeps } from '../../src/core/exchange-key-intake';
import { adminPolicy, type Policy } from '../../src/core/policy';
import type { KeyProvider } from '../../src/core/ports';
import { CountingKeyProvider } from './counting-key-provider';
import { dynamo, freshTable } from './dynamo';
import { ADMIN, FakeClock } from './fakes';
import { MemoryLogger } from './memory-logger';

/**
 * A stand-in for the identity layer in HTTP tests: the principal comes from a test header.
 * The real layers (SigV4, Lambda request context) are tested on their own and end to end.
 */
export const testAuthenticator: Authenticator = ({ headers }) => {
  const principal = headers['x-test-principal'];
  if (typeof principal !== 'string') throw new AuthenticationError('no test principal');
  return principal;
};

export interface TestAppOptions {
  keys?: KeyProvider;
  policy?: Policy;
  maxVersions?: number;
  /** Default 24, as in production. */
  retentionMinAgeHours?: number;
  versionCeiling?: number;
  rotationDays?: number;
  keyCache?: Partial<DataKeyCacheSettings>;
  dynamoClient?: DynamoDBClient;
  /** Use this secrets table instead of a fresh one (a second vault process over the same store). */
  tableName?: string;
  clock?: FakeClock;
  /** Identity source; default the test header. */
  authenticate?: Authenticator;
  /** Exchange keys as a typed kind (off unless given). */
  exchanges?: ExchangeKeyDeps;
  observe?: AppOptions['observe'];
  metricsText?: AppOptions['metricsText'];
  /** The durable access trail (VAULT_AUDIT=durable) in a fresh table of the shared dynalite. */
  trail?: Partial<AccessChainSettings> & {
    /** The trail's own client (a mock to inject faults); default the shared one. */
    client?: DynamoDBClient;
    /** Share another app's trail table (a second vault process over the same store). */
    tableName?: string;
    macs?: LocalMacProvider;
  };
}

/** One MAC key for every test vault: two "processes" of one deployment share it. */
export const TEST_MACS = new LocalMacProvider(randomBytes(32));

export async function testApp(options: TestAppOptions = {}) {
  const shared = await dynamo();
  const tableName = options.tableName ?? (await freshTable(shared.client));
  const client = options.dynamoClient ?? shared.client;
  const store = new DynamoDbSecretStore({ client, tableName });
  const keys = options.keys ?? new CountingKeyProvider();
  const logger = new MemoryLogger();
  const clock = options.clock ?? new FakeClock(new Date());
  const policy = options.policy ?? adminPolicy(ADMIN);
  let chain: AccessChain | undefined;
  let auditTableName: string | undefined;
  if (options.trail) {
    auditTableName = options.trail.tableName ?? `a-${randomUUID()}`;
    await ensureAuditTable(shared.client, auditTableName);
    const trailStore = new DynamoDbTrailStore(options.trail.client ?? shared.client, auditTableName);
    chain = new AccessChain(trailStore, options.trail.macs ?? TEST_MACS, clock, {
      retentionDays: options.trail.retentionDays ?? 400,
      checkpointRecords: options.trail.checkpointRecords ?? 1000,
      checkpointSeconds: options.trail.checkpointSeconds ?? 3600,
    });
  }
  const { vault, keys: cached } = assembleVault(
    {
      vault: {
        maxVersions: options.maxVersions ?? 10,
        retentionMinAgeHours: options.retentionMinAgeHours ?? 24,
        versionCeiling: options.versionCeiling ?? 100,
        rotationDays: options.rotationDays ?? 30,
        maxWriteAttempts: 60,
      },
      keyCache: { maxAgeSeconds: 0, maxEntries: 1000, maxUses: 10_000, ...options.keyCache },
    },
    {
      keys,
      store,
      policy,
      audit: logAuditSink(logger),
      ...(chain && { trail: chain }),
      clock,
      ...(options.exchanges && { exchanges: options.exchanges }),
    },
  );
  const app = createApp({
    vault,
    authenticate: options.authenticate ?? testAuthenticator,
    logger,
    policy,
    ...(options.observe && { observe: options.observe }),
    ...(options.metricsText && { metricsText: options.metricsText }),
  });
  const as = (principal: string = ADMIN) => ({
    put: (path: string, body: unknown) =>
      request(app)
        .put(path)
        .set('x-test-principal', principal)
        .set('content-type', 'application/json')
        .send(JSON.stringify(body)),
    post: (path: string, body: unknown = {}) =>
      request(app)
        .post(path)
        .set('x-test-principal', principal)
        .set('content-type', 'application/json')
        .send(JSON.stringify(body)),
    get: (path: string, headers: Record<string, string> = {}) =>
      request(app).get(path).set('x-test-principal', principal).set(headers),
    delete: (path: string) => request(app).delete(path).set('x-test-principal', principal),
  });
  /** Every attribute of every item, raw: what a stolen table would hold. */
  const scan = async () => {
    const out = await shared.client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
    return out.Items ?? [];
  };
  /** Every item of the trail's table, raw. */
  const scanAudit = async () => {
    if (!auditTableName) throw new Error('this test app has no durable trail');
    const items: Array<Record<string, AttributeValue>> = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await shared.client.send(
        new ScanCommand({
          TableName: auditTableName,
          ConsistentRead: true,
          ...(start && { ExclusiveStartKey: start }),
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  };
  return {
    app,
    vault,
    store,
    keys,
    cachedKeys: cached,
    logger,
    clock,
    tableName,
    client: shared.client,
    as,
    scan,
    chain,
    auditTableName,
    scanAudit,
  };
}

/** All bytes stored in an item, for searching a raw table for plaintext. */
export function itemBytes(item: Record<string, AttributeValue>): Buffer {
  const parts: Buffer[] = [];
  const walk = (value: AttributeValue) => {
    if (value.S !== undefined) parts.push(Buffer.from(value.S));
    if (value.B !== undefined) parts.push(Buffer.from(value.B));
    if (value.N !== undefined) parts.push(Buffer.from(value.N));
    if (value.M) Object.values(value.M).forEach(walk);
    if (value.L) value.L.forEach(walk);
  };
  for (const [name, value] of Object.entries(item)) {
    parts.push(Buffer.from(name));
    walk(value);
  }
  return Buffer.concat(parts);
}
