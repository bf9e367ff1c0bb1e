import { randomBytes } from 'node:crypto';
import { DependencyError } from './errors';
import type {
  AccessEntry,
  AccessSummary,
  AccessTrail,
  Clock,
  MacProvider,
  TrailCheckpoint,
  TrailPage,
  TrailQuery,
  TrailRecord,
  TrailStore,
} from './ports';
import { CHECKPOINT_PURPOSE, checkpointMessage, recordHash, witnessEntry } from './trail-format';

const DAY_SECONDS = 86_400;
/** Most other chains one checkpoint names (each name is ~40 bytes of the checkpoint item). */
export const MAX_WITNESSED = 64;
/** How far before its previous checkpoint a checkpoint looks for others (clock skew between processes). */
const WITNESS_OVERLAP_MS = 30_000;
/** A checkpoint looks back at most this far for others, however long the chain was idle. */
const WITNESS_LOOKBACK_MS = 3_600_000;

export interface AccessChainSettings {
  /** Days DynamoDB keeps a record or checkpoint before TTL deletes it. */
  retentionDays: number;
  /** A checkpoint after this many records... */
  checkpointRecords: number;
  /** ...or this many seconds after the previous one, whichever comes first (when there is anything new). */
  checkpointSeconds: number;
}

/** What the chain tells its operator: checkpoints (an outside witness, once in the logs) and failures. */
export interface AccessChainEvents {
  checkpoint?(checkpoint: TrailCheckpoint): void;
  recordFailed?(record: TrailRecord, error: unknown): void;
  checkpointFailed?(chain: string, error: unknown): void;
}

const asDependencyError = (error: unknown): DependencyError =>
  error instanceof DependencyError
    ? error
    : new DependencyError('dynamodb', 'access trail write failed', { cause: error });

/**
 * The access trail of one vault process: one hash chain. Sequence numbers, times and hashes are
 * assigned synchronously, in the order requests reach the trail, so the chain is a fixed order
 * however the writes then interleave; the writes themselves run concurrently.
 *
 * Every `checkpointRecords` records or `checkpointSeconds` seconds (checked when a record is
 * written, so a Lambda container that sleeps between invocations checkpoints too), and at
 * close, the chain head is MACed under the vault's MAC key and stored. A checkpoint first waits
 * for every write it covers to settle, and lists those that failed: such a gap is a request
 * that answered 503, not a removed record, and the list is under the MAC.
 */
export class AccessChain implements AccessTrail {
  readonly chain = randomBytes(12).toString('base64url');
  private seq = 0;
  private head = '';
  private headExpiresAt = 0;
  private lastTime = 0;
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly failed = new Set<number>();
  private started: Promise<void> | undefined;
  private startedAt: string | undefined;
  /** The last stored checkpoint. */
  private covered = { n: 0, upto: 0, expiresAt: 0, time: 0 };
  private recordsSinceCheckpoint = 0;
  /** After a failed checkpoint, the next attempt waits until then (a KMS outage must not cost a try per request). */
  private retryAt = 0;
  private checkpointing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly store: TrailStore,
    private readonly macs: MacProvider,
    private readonly clock: Clock,
    private readonly settings: AccessChainSettings,
    private readonly events: AccessChainEvents = {},
  ) {}

  async record(entry: AccessEntry): Promise<void> {
    const record = this.link(entry);
    const write = this.write(record);
    this.inFlight.set(record.seq, write);
    try {
      await write;
    } catch (error) {
      throw asDependencyError(error);
    } finally {
      this.inFlight.delete(record.seq);
    }
    this.recordsSinceCheckpoint += 1;
    // The request that makes a checkpoint due waits for it (on Lambda nothing runs between
    // invocations, so a checkpoint left in the background might never be stored); others go on.
    if (!this.checkpointing && this.checkpointDue()) await this.checkpoint().catch(() => undefined);
  }

  history(query: TrailQuery): Promise<TrailPage> {
    return this.store.history(query);
  }

  summary(path: string, since: string): Promise<AccessSummary> {
    return this.store.summary(path, since);
  }

  /**
   * Stores a checkpoint of everything recorded so far, unless nothing is new. One at a time:
   * a call while one is being made waits for that one.
   */
  checkpoint(): Promise<void> {
    this.checkpointing ??= this.makeCheckpoint().finally(() => {
      this.checkpointing = undefined;
    });
    return this.checkpointing;
  }

  /** The final checkpoint: what a server does at shutdown. Records after close are refused. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.checkpointing?.catch(() => undefined);
    await this.checkpoint();
  }

  /** Assigns the entry its place in the chain: synchronous, so concurrent requests cannot share a seq or a prev. */
  private link(entry: AccessEntry): TrailRecord {
    if (this.closed) throw new DependencyError('dynamodb', 'access trail closed');
    const time = Math.max(this.clock.now().getTime(), this.lastTime);
    this.lastTime = time;
    const expiresAt = Math.floor(time / 1000) + this.settings.retentionDays * DAY_SECONDS;
    const record: TrailRecord = {
      ...entry,
      versions: [...entry.versions],
      chain: this.chain,
      seq: ++this.seq,
      time: new Date(time).toISOString(),
      expiresAt,
      prevExpiresAt: this.headExpiresAt,
      prev: this.head,
    };
    this.head = recordHash(record);
    this.headExpiresAt = expiresAt;
    return record;
  }

  private async write(record: TrailRecord): Promise<void> {
    try {
      await this.start();
      await this.store.append(record);
    } catch (error) {
      this.failed.add(record.seq);
      this.events.recordFailed?.(record, error);
      throw error;
    }
  }

  /** The start marker (checkpoint 0) goes first, so other processes witness the chain from its first record. */
  private start(): Promise<void> {
    if (!this.started) {
      const time = this.clock.now();
      this.startedAt = time.toISOString();
      this.started = this.store.putCheckpoint(this.startMarker(time)).catch((error: unknown) => {
        this.started = undefined;
        throw error;
      });
      this.covered.time = time.getTime();
      this.timer = setInterval(() => {
        if (this.hasNews()) this.checkpoint().catch(() => undefined);
      }, this.settings.checkpointSeconds * 1000);
      this.timer.unref();
    }
    return this.started;
  }

  private startMarker(time: Date): TrailCheckpoint {
    return {
      chain: this.chain,
      n: 0,
      time: time.toISOString(),
      upto: 0,
      head: '',
      headExpiresAt: 0,
      failed: [],
      witnessed: [],
      expiresAt: this.expiry(time.getTime()),
      prevExpiresAt: 0,
    };
  }

  private checkpointDue(): boolean {
    const now = this.clock.now().getTime();
    if (now < this.retryAt) return false;
    return (
      this.recordsSinceCheckpoint >= this.settings.checkpointRecords ||
      now - this.covered.time >= this.settings.checkpointSeconds * 1000
    );
  }

  private hasNews(): boolean {
    return this.seq > this.covered.upto;
  }

  private async makeCheckpoint(): Promise<void> {
    if (!this.hasNews() || !this.startedAt) return;
    const upto = this.seq;
    const head = this.head;
    const headExpiresAt = this.headExpiresAt;
    // Every write this checkpoint covers has settled, so its list of failures is complete.
    await Promise.allSettled([...this.inFlight].filter(([seq]) => seq <= upto).map(([, write]) => write));
    try {
      const failed = [...this.failed].filter((seq) => seq > this.covered.upto && seq <= upto).sort((a, b) => a - b);
      const now = this.clock.now().getTime();
      const witnessed = await this.witness(now);
      const checkpoint: TrailCheckpoint = {
        chain: this.chain,
        n: this.covered.n + 1,
        time: new Date(now).toISOString(),
        upto,
        head,
        headExpiresAt,
        failed,
        witnessed,
        expiresAt: this.expiry(now),
        prevExpiresAt: this.covered.expiresAt,
      };
      checkpoint.mac = await this.macs.mac(CHECKPOINT_PURPOSE, checkpointMessage(checkpoint));
      await this.store.putCheckpoint(checkpoint);
      for (const seq of failed) this.failed.delete(seq);
      this.covered = { n: checkpoint.n, upto, expiresAt: checkpoint.expiresAt, time: now };
      this.recordsSinceCheckpoint = 0;
      this.events.checkpoint?.(checkpoint);
    } catch (error) {
      // Nothing is lost: the next checkpoint covers all of this (and takes this one's number).
      this.retryAt = this.clock.now().getTime() + Math.min(this.settings.checkpointSeconds, 10) * 1000;
      this.events.checkpointFailed?.(this.chain, error);
      throw asDependencyError(error);
    }
  }

  /**
   * Other chains' latest checkpoints since this chain's previous one. A later checkpoint naming
   * chain X at number n is what shows X was cut short, or removed whole, if X's checkpoint n is
   * gone. At most MAX_WITNESSED, chosen at random when there are more.
   */
  private async witness(now: number): Promise<string[]> {
    const since = Math.max(this.covered.time - WITNESS_OVERLAP_MS, now - WITNESS_LOOKBACK_MS);
    const seen = await this.store.recentCheckpoints(
      new Date(since).toISOString(),
      new Date(now).toISOString(),
      4 * MAX_WITNESSED,
    );
    const latest = new Map<string, { n: number; expiresAt: number }>();
    for (const { chain, n, expiresAt } of seen) {
      if (chain === this.chain) continue;
      if ((latest.get(chain)?.n ?? -1) < n) latest.set(chain, { n, expiresAt });
    }
    const entries = [...latest].map(([chain, { n, expiresAt }]) => witnessEntry(chain, n, expiresAt));
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    return entries.slice(0, MAX_WITNESSED).sort();
  }

  private expiry(timeMs: number): number {
    return Math.floor(timeMs / 1000) + this.settings.retentionDays * DAY_SECONDS;
  }
}
