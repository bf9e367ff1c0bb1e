/**
 * (b) KMS-call counts for reads, in process (no HTTP): how many key-service calls reads make
 * through the same assembly as the server (a CachingKeyProvider in front of the key provider,
 * a Vault over the DynamoDB store on dynalite). A counting KeyProvider sits where KMS would be;
 * a client middleware counts DynamoDB commands too. Writes are counted through the real server
 * on the wire instead (write-calls.ts).
 */
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbSecretStore } from '../src/adapters/dynamodb/dynamodb-secret-store';
import { startDynalite } from '../src/adapters/dynamodb/embedded-dynalite';
import { ensureTable } from '../src/adapters/dynamodb/table';
import { LocalKeyProvider } from '../src/adapters/local-keys/local-key-provider';
import { systemClock } from '../src/composition/assemble';
import { loadConfig } from '../src/config';
import { CachingKeyProvider, type DataKeyCacheSettings } from '../src/core/data-key-cache';
import { adminPolicy } from '../src/core/policy';
import type { DataKey, EncryptionContext, KeyProvider } from '../src/core/ports';
import { type Caller, Vault } from '../src/core/vault';

const PRINCIPAL = 'arn:aws:iam::000000000000:user/bench';
const TABLE = 'kms-vault-bench';
export const HOT_READS = 1000;
export const COLD_CONCURRENT_READS = 100;

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

export interface KmsCallResults {
  cacheSettings: DataKeyCacheSettings;
  hotReads: number;
  coldConcurrentReads: number;
  cacheOn: ReadCounts & { budget: { hotSequentialDecrypts: number; coldConcurrentDecrypts: number }; pass: boolean };
  cacheOff: ReadCounts;
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
    const vaultWith = (cache: DataKeyCacheSettings) =>
      new Vault({
        keys: new CachingKeyProvider(counting, cache, systemClock),
        store,
        policy: adminPolicy(PRINCIPAL),
        audit: { record() {} },
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
    };
  } finally {
    await dynamo.close();
  }
}
