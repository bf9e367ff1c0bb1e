/** How long and how many reads the client keeps. */
export interface ReadCacheOptions {
  /** Seconds a value may be served from memory after it was read. */
  ttlSeconds: number;
  /** Values kept; the least recently used goes first. */
  maxEntries: number;
}

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/**
 * An in-process cache of reads, as the Secrets Manager caching clients keep one: keyed by path
 * and version (the current version is its own key), bounded (least recently used out first),
 * each value dropped once its time is up, and dropped for a whole path whenever this client
 * changes that path. Concurrent misses for one key share one request. Values go out as copies:
 * a caller that changes what it got cannot change what the next caller gets.
 */
export class ReadCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly inFlight = new Map<string, Promise<T>>();
  private lastSweep = 0;

  constructor(
    private readonly options: ReadCacheOptions,
    private readonly now: () => number,
  ) {
    if (!(options.ttlSeconds > 0) || !(options.maxEntries >= 1)) {
      throw new RangeError('cache: ttlSeconds must be above 0 and maxEntries at least 1');
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached value for (path, version), or the one `load` fetches (shared by concurrent callers). */
  async read(path: string, version: number | undefined, load: () => Promise<T>): Promise<T> {
    const key = `${path}\u0000${version ?? ''}`;
    const now = this.now();
    this.sweep(now);
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) {
      // Re-insert to mark it most recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return structuredClone(hit.value);
    }
    if (hit) this.entries.delete(key);
    let flight = this.inFlight.get(key);
    if (!flight) {
      flight = load().then(
        (value) => {
          // A write to the path while this read was out drops it (see invalidate).
          if (this.inFlight.get(key) === flight) this.store(key, value);
          this.inFlight.delete(key);
          return value;
        },
        (error: unknown) => {
          this.inFlight.delete(key);
          throw error;
        },
      );
      this.inFlight.set(key, flight);
    }
    return structuredClone(await flight);
  }

  /** Drops every version of `path`, and forgets reads of it still in flight. */
  invalidate(path: string): void {
    const prefix = `${path}\u0000`;
    for (const key of [...this.entries.keys(), ...this.inFlight.keys()]) {
      if (key.startsWith(prefix)) {
        this.entries.delete(key);
        this.inFlight.delete(key);
      }
    }
  }

  clear(): void {
    this.entries.clear();
    this.inFlight.clear();
  }

  private store(key: string, value: T): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.options.ttlSeconds * 1000 });
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** Drops expired values even when nobody asks for them again, at most once a second. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
