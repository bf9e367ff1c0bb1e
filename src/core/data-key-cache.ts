import type { Clock, DataKey, EncryptionContext, KeyProvider } from './ports';

export interface DataKeyCacheSettings {
  /** Seconds an unwrapped key may stay in memory; 0 turns the cache off. */
  maxAgeSeconds: number;
  /** Entries kept; the least recently used goes first. */
  maxEntries: number;
  /** Reads one entry may serve before it is dropped and KMS is asked again. */
  maxUses: number;
}

/** Running totals since start, for metrics. */
export interface KeyUsageCounts {
  /** Unwraps served without a key-service call of their own: from the cache, or by joining one in flight. */
  cacheHits: number;
  /** Unwraps that made a key-service call (every unwrap when the cache is off). */
  cacheMisses: number;
  /** Calls made to the key service (KMS in AWS mode), by operation. */
  keyServiceCalls: { generateDataKey: number; decryptDataKey: number; rewrapDataKey: number };
}

interface Flight {
  promise: Promise<Buffer>;
  waiters: number;
}

interface Entry {
  key: Buffer;
  expiresAt: number;
  uses: number;
}

/**
 * A KeyProvider decorator that keeps unwrapped data keys for hot reads. Only decrypt is
 * cached: every write still gets its own GenerateDataKey. Entries are keyed by the key id,
 * the wrapped key and the encryption context together, so a hit is exactly the answer KMS
 * would give. Evicted and expired keys are zeroed. Concurrent misses for one wrapped key
 * share one in-flight unwrap; a failure is not cached and reaches every waiter.
 */
export class CachingKeyProvider implements KeyProvider {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Flight>();
  private lastSweep = 0;
  private readonly tally: KeyUsageCounts = {
    cacheHits: 0,
    cacheMisses: 0,
    keyServiceCalls: { generateDataKey: 0, decryptDataKey: 0, rewrapDataKey: 0 },
  };

  constructor(
    private readonly inner: KeyProvider,
    private readonly settings: DataKeyCacheSettings,
    private readonly clock: Clock,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** A copy of the totals so far. */
  counts(): KeyUsageCounts {
    return { ...this.tally, keyServiceCalls: { ...this.tally.keyServiceCalls } };
  }

  currentKeyId(): Promise<string> {
    return this.inner.currentKeyId();
  }

  generateDataKey(context: EncryptionContext): Promise<DataKey> {
    this.tally.keyServiceCalls.generateDataKey += 1;
    return this.inner.generateDataKey(context);
  }

  rewrapDataKey(
    wrapped: Buffer,
    keyId: string,
    context: EncryptionContext,
  ): Promise<{ wrapped: Buffer; keyId: string }> {
    this.tally.keyServiceCalls.rewrapDataKey += 1;
    return this.inner.rewrapDataKey(wrapped, keyId, context);
  }

  async decryptDataKey(wrapped: Buffer, keyId: string, context: EncryptionContext): Promise<Buffer> {
    if (this.settings.maxAgeSeconds <= 0 || this.settings.maxEntries <= 0) {
      this.tally.cacheMisses += 1;
      this.tally.keyServiceCalls.decryptDataKey += 1;
      return this.inner.decryptDataKey(wrapped, keyId, context);
    }
    const now = this.clock.now().getTime();
    this.sweep(now);
    // JSON is an unambiguous serialisation of the context; a different key order only costs a
    // miss, never a wrong hit.
    const id = `${keyId}\u0000${wrapped.toString('base64')}\u0000${JSON.stringify(context)}`;
    const hit = this.entries.get(id);
    if (hit && hit.expiresAt > now && hit.uses < this.settings.maxUses) {
      this.tally.cacheHits += 1;
      hit.uses += 1;
      // Re-insert to mark it most recently used.
      this.entries.delete(id);
      this.entries.set(id, hit);
      const copy = Buffer.from(hit.key);
      if (hit.uses >= this.settings.maxUses) this.evict(id);
      return copy;
    }
    if (hit) this.evict(id);
    let flight = this.inFlight.get(id);
    if (flight) this.tally.cacheHits += 1;
    else {
      this.tally.cacheMisses += 1;
      this.tally.keyServiceCalls.decryptDataKey += 1;
      const created: Flight = { waiters: 0, promise: undefined as unknown as Promise<Buffer> };
      created.promise = this.inner.decryptDataKey(wrapped, keyId, context).then(
        (key) => {
          this.inFlight.delete(id);
          this.store(id, key, this.clock.now().getTime());
          return key;
        },
        (error: unknown) => {
          this.inFlight.delete(id);
          throw error;
        },
      );
      flight = created;
      this.inFlight.set(id, flight);
    }
    flight.waiters += 1;
    let shared: Buffer | undefined;
    try {
      shared = await flight.promise;
      // Every caller gets its own copy and zeroes it; the cached buffer is zeroed on eviction.
      return Buffer.from(shared);
    } finally {
      // The last waiter zeroes the buffer KMS's answer arrived in.
      flight.waiters -= 1;
      if (flight.waiters === 0 && shared) shared.fill(0);
    }
  }

  /** Zeroes and drops every entry (shutdown, tests). */
  clear(): void {
    for (const id of [...this.entries.keys()]) this.evict(id);
  }

  private store(id: string, key: Buffer, now: number): void {
    const existing = this.entries.get(id);
    if (existing) this.evict(id);
    this.entries.set(id, { key: Buffer.from(key), expiresAt: now + this.settings.maxAgeSeconds * 1000, uses: 1 });
    while (this.entries.size > this.settings.maxEntries) this.evict(this.entries.keys().next().value as string);
  }

  private evict(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.key.fill(0);
    this.entries.delete(id);
  }

  /** Zeroes expired entries even when nobody asks for them again, at most once a second. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    for (const [id, entry] of this.entries) if (entry.expiresAt <= now) this.evict(id);
  }
}
