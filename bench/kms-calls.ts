/**
 * (b) KMS-call counts, in process (no HTTP): how many key-service calls reads and writes make,
 * through the same assembly as the server (a CachingKeyProvider in front of the key provider,
 * a Vault over the DynamoDB store on dynalite). A counting KeyProvider sits where KMS would be;
 * a client middleware counts DynamoDB commands too, for the DESIGN's write budget.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ensureAuditTable } from '../src/adapters/dynamodb/audit-table';
import { DynamoDbSecretStore } from '../src/adapters/dynamodb/dynamodb-secret-store';
import { DynamoDbTrailStore } from '../src/adapters/dynamodb/dynamodb-trail-store';
import { startDynalite } from '../src/adapters/dynamodb/embedded-dynalite';
import { ensureTable } from '../src/adapters/dynamodb/table';
import { LocalKeyProvider } from '../src/adapters/local-keys/local-key-provider';
import { LocalMacProvider } from '../src/adapters/local-keys/local-mac-provider';
import { systemClock } from '../src/composition/assemble';
import { loadConfig } from '../src/config';
import { AccessChain } from '../src/core/access-chain';
import { CachingKeyProvider, type DataKeyCacheSettings } from '../src/core/data-key-cache';
import { adminPolicy } from '../src/core/policy';
import type { AccessTrail, DataKey, EncryptionContext, KeyProvider, MacProvider } from '../src/core/ports';
import { type Caller, Vault } from '../src/core/vault';

const PRINCIPAL = 'arn:aws:iam::000000000000:user/bench';
const TABLE = 'kms-vault-bench';
export const HOT_READS = 1000;
export const COLD_CONCURRENT_READS = 100;
/** Writes to one path, enough to pass the default retention (10) and reach its steady state. */
const RETENTION_WRITES = 12;

/** Where KMS would be: forwards to the real provider and counts each call. */
export class CountingKeyProvider implements KeyProvider {
  readonly calls = { generateDataKey: 0, decryptDataKey: 0, rewrapDataKey: 0, currentKeyId: 0 };

  constructor(private readonly inner: KeyProvider) {}

  reset(): void {
    for (const k of Object.keys(this.calls) as Array<keyof typeof this.calls>) this.calls[k] = 0;
  }

  currentKeyId(): Promise<string> {
    this.calls.currentKeyId += 1;
    return this.inner.currentKeyId();
  }

  generateDataKey(context: EncryptionContext): Promise<DataKey> {
    this.calls.generateDataKey += 1;
    return this.inner.generateDataKey(context);
  }

  decryptDataKey(wrapped: Buffer, keyId: string, context: EncryptionContext): Promise<Buffer> {
    this.calls.decryptDataKey += 1;
    return this.inner.decryptDataKey(wrapped, keyId, context);
  }

  rewrapDataKey(
    wrapped: Buffer,
    keyId: string,
    context: EncryptionContext,
  ): Promise<{ wrapped: Buffer; keyId: string }> {
    this.calls.rewrapDataKey += 1;
    return this.inner.rewrapDataKey(wrapped, keyId, context);
  }
}

/** Counts every command the client sends, by name (GetItem, PutItem, ...). */
function countCommands(client: DynamoDBClient): { counts: Map<string, number>; total(): number; reset(): void } {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String((context as { commandName?: string }).commandName ?? 'unknown').replace(/Command$/, '');
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'benchCommandCounter' },
  );
  return { counts, total: () => [...counts.values()].reduce((a, b) => a + b, 0), reset: () => counts.clear() };
}

export interface ReadCounts {
  /** Decrypt calls for HOT_READS sequential reads of one secret after one write. */
  hotSequentialDecrypts: number;
  /** Decrypt calls for COLD_CONCURRENT_READS concurrent reads of one secret, fresh cache. */
  coldConcurrentDecrypts: number;
  /** DynamoDB commands per read (HOT_READS sequential reads). */
  dynamoCallsPerRead: number;
}

/** What the durable access trail adds to HOT_READS reads of one secret (checkpoints and the final one included). */
export interface TrailCallResults {
  reads: number;
  /** DynamoDB commands per read, by name, with the trail on (a read alone: GetItem 1). */
  dynamoCallsPerRead: Record<string, number>;
  /** Records and checkpoints written per read (each also writes one index entry). */
  itemsWrittenPerRead: number;
  /** KMS GenerateMac (checkpoints) per read. */
  macsPerRead: number;
  /** Mean size of a record as DynamoDB bills it (attribute names and values), bytes. */
  meanRecordBytes: number;
  checkpointRecords: number;
  /**
   * CPU the vault's process spends per record when DynamoDB is remote (as in AWS): the SDK's
   * serialising, signing and parsing against a loopback server that answers `{}` at once
   * (that server's own share included). dynalite's work is not in it, unlike in embedded mode.
   */
  remoteStoreCpuUsPerRecord: number;
  /**
   * Milliseconds per describe of the secret just read 1,000 times, on in-process dynalite: with
   * the trail (its record, and the access summary's 8 bounded queries) and without (log mode).
   */
  describeMs: { durable: number; log: number };
}

export interface KmsCallResults {
  cacheSettings: DataKeyCacheSettings;
  hotReads: number;
  coldConcurrentReads: number;
  cacheOn: ReadCounts & { budget: { hotSequentialDecrypts: number; coldConcurrentDecrypts: number }; pass: boolean };
  cacheOff: ReadCounts;
  writes: {
    generateDataKeyPerWrite: number;
    decryptsPerWrite: number;
    /** DynamoDB commands by name for the first write (creates the HEAD). */
    dynamoCallsCreate: Record<string, number>;
    /** ...for the second write (copies V#1, replaces HEAD). */
    dynamoCallsUpdate: Record<string, number>;
    /** ...for a write past maxVersions (also removes the oldest version item). */
    dynamoCallsAtRetention: Record<string, number>;
    maxVersions: number;
    budget: { maxDynamoCalls: number; generateDataKey: number; decrypts: number };
    pass: boolean;
  };
  durableTrail: TrailCallResults;
}

export async function measureKmsCalls(): Promise<KmsCallResults> {
  // The server's defaults, from the same parser the server uses.
  const defaults = loadConfig({});
  const dynamo = await startDynalite();
  try {
    await ensureTable(dynamo.client, TABLE);
    const commands = countCommands(dynamo.client);
    const store = new DynamoDbSecretStore({ client: dynamo.client, tableName: TABLE });
    const counting = new CountingKeyProvider(new LocalKeyProvider(randomBytes(32)));
    const caller: Caller = { principal: PRINCIPAL, requestId: 'bench' };
    const vaultWith = (cache: DataKeyCacheSettings, trail?: AccessTrail) =>
      new Vault({
        keys: new CachingKeyProvider(counting, cache, systemClock),
        store,
        policy: adminPolicy(PRINCIPAL),
        audit: { record() {} },
        ...(trail && { trail }),
        clock: systemClock,
        settings: defaults.vault,
      });

    const readCounts = async (cache: DataKeyCacheSettings, path: string): Promise<ReadCounts> => {
      const value = { apiKey: `key-for-${path}`, secretKey: randomBytes(24).toString('base64') };
      const writer = vaultWith(cache);
      await writer.put(caller, path, { value });
      counting.reset();
      commands.reset();
      for (let i = 0; i < HOT_READS; i++) {
        const read = await writer.get(caller, path);
        if ((read.value as typeof value).secretKey !== value.secretKey)
          throw new Error('hot read returned the wrong value');
      }
      const hotSequentialDecrypts = counting.calls.decryptDataKey;
      const dynamoCallsPerRead = commands.total() / HOT_READS;
      // A fresh cache, as after a cold start: every read misses at once.
      const cold = vaultWith(cache);
      counting.reset();
      const reads = await Promise.all(Array.from({ length: COLD_CONCURRENT_READS }, () => cold.get(caller, path)));
      if (reads.some((r) => (r.value as typeof value).secretKey !== value.secretKey))
        throw new Error('cold read returned the wrong value');
      return { hotSequentialDecrypts, coldConcurrentDecrypts: counting.calls.decryptDataKey, dynamoCallsPerRead };
    };

    const on = await readCounts(defaults.keyCache, 'bench/kms-calls/cache-on');
    const off = await readCounts({ ...defaults.keyCache, maxAgeSeconds: 0 }, 'bench/kms-calls/cache-off');

    // Writes: count per write for create, update, and a write past the retention limit.
    const writer = vaultWith(defaults.keyCache);
    const path = 'bench/kms-calls/writes';
    const perWrite: Array<{ gdk: number; decrypts: number; dynamo: Record<string, number> }> = [];
    for (let i = 1; i <= RETENTION_WRITES; i++) {
      counting.reset();
      commands.reset();
      await writer.put(caller, path, { value: { n: i } });
      perWrite.push({
        gdk: counting.calls.generateDataKey,
        decrypts: counting.calls.decryptDataKey,
        dynamo: Object.fromEntries(commands.counts),
      });
    }
    const durableTrail = await trailCounts(dynamo.client, commands, (trail) => vaultWith(defaults.keyCache, trail));

    const total = (d: Record<string, number>) => Object.values(d).reduce((a, b) => a + b, 0);
    const maxDynamo = Math.max(...perWrite.map((w) => total(w.dynamo)));
    const gdk = Math.max(...perWrite.map((w) => w.gdk));
    const decrypts = Math.max(...perWrite.map((w) => w.decrypts));
    const writeBudget = { maxDynamoCalls: 3, generateDataKey: 1, decrypts: 0 };

    return {
      cacheSettings: defaults.keyCache,
      hotReads: HOT_READS,
      coldConcurrentReads: COLD_CONCURRENT_READS,
      cacheOn: {
        ...on,
        budget: { hotSequentialDecrypts: 1, coldConcurrentDecrypts: 1 },
        pass: on.hotSequentialDecrypts <= 1 && on.coldConcurrentDecrypts <= 1,
      },
      cacheOff: off,
      writes: {
        generateDataKeyPerWrite: gdk,
        decryptsPerWrite: decrypts,
        dynamoCallsCreate: perWrite[0]!.dynamo,
        dynamoCallsUpdate: perWrite[1]!.dynamo,
        dynamoCallsAtRetention: perWrite[perWrite.length - 1]!.dynamo,
        maxVersions: defaults.vault.maxVersions,
        budget: writeBudget,
        pass:
          maxDynamo <= writeBudget.maxDynamoCalls &&
          gdk <= writeBudget.generateDataKey &&
          decrypts <= writeBudget.decrypts,
      },
      durableTrail,
    };
  } finally {
    await dynamo.close();
  }
}

/**
 * HOT_READS reads of one secret with the durable trail on (the defaults: a checkpoint every
 * 1,000 records), then the final checkpoint a server makes at shutdown, counted per read.
 */
async function trailCounts(
  client: DynamoDBClient,
  commands: ReturnType<typeof countCommands>,
  vaultWith: (trail?: AccessTrail) => Vault,
): Promise<TrailCallResults> {
  const defaults = loadConfig({ VAULT_AUDIT: 'durable' }).audit;
  const table = `${TABLE}-audit`;
  await ensureAuditTable(client, table);
  const local = new LocalMacProvider(randomBytes(32));
  let macs = 0;
  const counting: MacProvider = {
    mac: (purpose, message) => {
      macs += 1;
      return local.mac(purpose, message);
    },
  };
  const chain = new AccessChain(new DynamoDbTrailStore(client, table), counting, systemClock, defaults);
  const vault = vaultWith(chain);
  const caller: Caller = { principal: PRINCIPAL, requestId: 'bench', purpose: 'bench read' };
  const path = 'exchange-keys/bench/trail-counts';
  await vault.put(caller, path, { value: { apiKey: 'k', secretKey: randomBytes(24).toString('base64') } });
  commands.reset();
  macs = 0;
  for (let i = 0; i < HOT_READS; i++) await vault.get(caller, path);
  await chain.close();
  const perRead = Object.fromEntries([...commands.counts].map(([name, n]) => [name, n / HOT_READS]));
  const itemsWrittenPerRead = (commands.counts.get('PutItem') ?? 0) / HOT_READS;
  const items = (await client.send(new ScanCommand({ TableName: table }))).Items ?? [];
  const records = items.filter((item) => item.act?.S === 'read');
  const size = (item: (typeof items)[number]) =>
    Object.entries(item).reduce((n, [name, value]) => n + name.length + Buffer.byteLength(value.S ?? value.N ?? ''), 0);
  // Describes of that secret: its 1,000 reads are what the access summary looks through.
  const describeMs = async (on: Vault) => {
    for (let i = 0; i < 10; i++) await on.describe(caller, path);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 50; i++) await on.describe(caller, path);
    return Math.round(Number(process.hrtime.bigint() - started) / 5e5) / 100;
  };
  const describeChain = new AccessChain(new DynamoDbTrailStore(client, table), local, systemClock, defaults);
  const describe = { durable: await describeMs(vaultWith(describeChain)), log: await describeMs(vaultWith()) };
  await describeChain.close();
  return {
    reads: HOT_READS,
    dynamoCallsPerRead: perRead,
    itemsWrittenPerRead,
    macsPerRead: macs / HOT_READS,
    meanRecordBytes: Math.round(records.reduce((n, item) => n + size(item), 0) / Math.max(1, records.length)),
    checkpointRecords: defaults.checkpointRecords,
    remoteStoreCpuUsPerRecord: await remoteStoreCpu(defaults),
    describeMs: describe,
  };
}

async function remoteStoreCpu(settings: ReturnType<typeof loadConfig>['audit']): Promise<number> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    const chain = new AccessChain(
      new DynamoDbTrailStore(client, 'bench-audit'),
      new LocalMacProvider(randomBytes(32)),
      systemClock,
      settings,
    );
    const entry = {
      principal: PRINCIPAL,
      action: 'read',
      path: 'exchange-keys/user-1842/binance-main',
      versions: [1],
      decision: 'allow' as const,
      reason: 'policy rule matched',
      result: 'ok',
      requestId: randomBytes(16).toString('hex'),
    };
    for (let i = 0; i < 300; i++) await chain.record(entry);
    const before = process.cpuUsage();
    for (let i = 0; i < HOT_READS * 2; i++) await chain.record(entry);
    const used = process.cpuUsage(before);
    return Math.round((used.user + used.system) / (HOT_READS * 2));
  } finally {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
