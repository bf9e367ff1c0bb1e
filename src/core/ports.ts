import type { Exchange, PermissionCheck } from './exchange-keys';

/**
 * What is stored for one secret version: nothing here is secret without the key that wrapped
 * `edk`. Declared here (not beside seal/open) because the store port carries it too.
 */
export interface Envelope {
  alg: string;
  iv: Buffer;
  /** Ciphertext followed by the 16-byte GCM tag. */
  ct: Buffer;
  /** The KMS-wrapped data key. */
  edk: Buffer;
  /** The key that wrapped `edk`. */
  kid: string;
}

/** Encryption context bound to a secret version: KMS context and AES-GCM AAD. Strings only. */
export type EncryptionContext = Record<string, string>;

/** A fresh data key: the plaintext (caller zeroes it) and its KMS-wrapped form. */
export interface DataKey {
  plaintext: Buffer;
  wrapped: Buffer;
  /** Identifier of the key that wrapped it (KMS key ARN, or a local master-key id). */
  keyId: string;
}

/**
 * The only thing that talks to the key service. Every call carries the encryption context so
 * the wrapped key is bound to one path and version.
 */
export interface KeyProvider {
  /**
   * The resolved id of the key new data keys are wrapped under (for KMS, the key ARN an alias
   * points at now), so rewrap can skip what is already under it.
   */
  currentKeyId(): Promise<string>;
  /** A new 256-bit data key wrapped under the current key. */
  generateDataKey(context: EncryptionContext): Promise<DataKey>;
  /**
   * Unwraps a data key. Returns a buffer the caller owns and must zero.
   * Throws IntegrityError when the wrapped key or context does not match.
   */
  decryptDataKey(wrapped: Buffer, keyId: string, context: EncryptionContext): Promise<Buffer>;
  /** Rewraps under the current key without exposing the plaintext key (KMS ReEncrypt). */
  rewrapDataKey(
    wrapped: Buffer,
    keyId: string,
    context: EncryptionContext,
  ): Promise<{ wrapped: Buffer; keyId: string }>;
}

export type VersionState = 'active' | 'deleted' | 'destroyed';

/** One retained version as the HEAD summary records it. */
export interface VersionSummary {
  version: number;
  createdAt: string;
  createdBy: string;
  state: VersionState;
  /** Key that wraps this version's data key (absent once destroyed). */
  kid?: string;
}

/**
 * What a typed secret shows of itself without its value. Today one kind: an exchange API key,
 * shown by a masked hint of its apiKey and what the exchange said it may do.
 */
export interface ExchangeKeyFacts {
  kind: 'exchange-api-key';
  exchange: Exchange;
  /** First and last characters of the current version's apiKey, the rest masked. */
  apiKeyHint: string;
  /** The latest permission check (at ingest or a re-check); null when checks are off. */
  check: PermissionCheck | null;
  /** Why the latest re-check flagged the key (e.g. withdraw_enabled); absent when it passed. */
  flagged?: string[];
}

/** The HEAD record of one secret: the current version's envelope plus all metadata. */
export interface SecretHead {
  path: string;
  /** Highest version number ever written. */
  version: number;
  /** Bumped by every mutation of the HEAD: the optimistic lock. */
  rev: number;
  /** Envelope of `version`; absent when that version is destroyed. */
  envelope?: Envelope;
  labels: Record<string, string>;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  /** When the current version was written (age for rotation). */
  currentSince: string;
  /** Per-secret rotation period override, days. */
  rotationDays?: number;
  /** currentSince + rotation period, ISO-8601. */
  rotationDueAt: string;
  /** Retained versions, ascending by number. */
  versions: VersionSummary[];
  /** Set for typed secrets; a kind, once set, stays for every later version. */
  exchangeKey?: ExchangeKeyFacts;
  /**
   * Keyed MAC of (exchange, apiKey) under the vault's MAC key: finds one exchange key stored
   * under two paths without storing the key. Internal: never shown.
   */
  keyIndex?: string;
}

export type SecretMetadata = Omit<SecretHead, 'envelope' | 'keyIndex'>;

export interface ListQuery {
  prefix: string;
  limit: number;
  cursor?: string;
  /** Only secrets whose rotationDueAt is at or before this instant (ISO-8601). */
  rotationDueBefore?: string;
  /**
   * `path` (default): path order, from the path index, the rotation filter applied as a filter.
   * `due`: rotation-due order, from the rotation index (needs rotationDueBefore); the prefix is
   * then a filter, so a page's cursor may name a path outside the prefix.
   */
  order?: 'path' | 'due';
  /** Only exchange keys whose latest re-check flagged them. */
  flaggedOnly?: boolean;
}

export interface ListPage {
  items: SecretMetadata[];
  /** Opaque; absent on the last page. */
  cursor?: string;
}

/**
 * Untrusted storage: holds only envelopes and metadata. Every mutation is one conditional
 * single-item write; conflicts surface as VersionConflictError.
 */
export interface SecretStore {
  /** Strongly consistent read of the HEAD, or undefined when the path has none. */
  getHead(path: string): Promise<SecretHead | undefined>;
  /** Writes a new HEAD; VersionConflictError if one exists. */
  createHead(head: SecretHead): Promise<void>;
  /** Replaces the HEAD; VersionConflictError unless the stored rev is `expectedRev`. */
  replaceHead(head: SecretHead, expectedRev: number): Promise<void>;
  /** Deletes the HEAD; VersionConflictError unless the stored rev is `expectedRev`. */
  deleteHead(path: string, expectedRev: number): Promise<void>;
  /**
   * Stores the immutable copy of a superseded version. Returns false (and changes nothing)
   * if an item for that version already exists, including an erased one.
   */
  putVersion(path: string, version: number, envelope: Envelope): Promise<boolean>;
  /** The envelope of a superseded version; undefined if absent or erased. */
  getVersion(path: string, version: number): Promise<Envelope | undefined>;
  /**
   * Replaces a version's envelope (rewrap) only while the stored one still has `expectedEdk`,
   * so an erased version is never restored. VersionConflictError otherwise.
   */
  replaceVersionEnvelope(path: string, version: number, envelope: Envelope, expectedEdk: Buffer): Promise<void>;
  /** Erases a version's envelope, leaving a tombstone so a stale writer cannot restore it. */
  eraseVersion(path: string, version: number): Promise<void>;
  /** Removes a version item entirely (retention, delete-all). */
  removeVersion(path: string, version: number): Promise<void>;
  /** Version numbers that have an item (erased or not) under this path. */
  listVersionItems(path: string): Promise<number[]>;
  /** One page of HEAD metadata in path order, from the sparse index. */
  list(query: ListQuery): Promise<ListPage>;
  /** Paths whose HEAD carries this key index (the exchange-key duplicate check). */
  findByKeyIndex(keyIndex: string): Promise<string[]>;
  /** A cursor for `query` that resumes right after `item` (one of its results). */
  cursorAfter(item: SecretMetadata, query: ListQuery): string;
}

/** Where decisions are recorded. */
export interface AuditSink {
  record(event: AuditEvent): void;
}

export interface AuditEvent {
  requestId: string;
  principal: string;
  action: string;
  path: string;
  version?: number;
  decision: 'allow' | 'deny';
  reason: string;
}

export interface Clock {
  now(): Date;
}

/**
 * Keyed MACs under a key only the vault can use: a KMS HMAC key (GenerateMac) in AWS, a local
 * 0600 key file in embedded mode. A stolen table holding such MACs cannot be tested against a
 * guess without the key.
 */
export interface MacProvider {
  /**
   * HMAC-SHA-256 of `message` under the vault's MAC key. `purpose` separates uses (a blind
   * index, an audit checkpoint), so a MAC made for one can never stand for the other.
   */
  mac(purpose: string, message: Buffer): Promise<Buffer>;
}

/**
 * What an exchange said about a key, as the access trail keeps it: flags and refusal reasons,
 * never the exchange's answer, the key, its IP list or a signature.
 */
export interface ExchangeCheckNote {
  exchange: string;
  /** False when the key was stored unchecked (exchange checks off). */
  checked: boolean;
  canTrade?: boolean | null;
  canTradeDerivatives?: boolean | null;
  canWithdraw?: boolean | null;
  canTransfer?: boolean | null;
  ipRestricted?: boolean | null;
  /** Why the key was refused or flagged (rule names, or the exchange's refusal code); empty when it passed. */
  flagged: string[];
}

/**
 * One request on a secret path as the vault hands it to the access trail. Holds no value, key,
 * label value, signature or query string: only who, what, where, which versions and why.
 */
export interface AccessEntry {
  principal: string;
  action: string;
  path: string;
  /** Versions the request touched; empty when none (describe, a denial without a version). */
  versions: number[];
  decision: 'allow' | 'deny';
  reason: string;
  /** `ok`, or the error code the request ended with (`not_found`, `access_denied`, ...). */
  result: string;
  /** The vault's own request id (X-Request-Id). */
  requestId: string;
  /** API Gateway's request id, on Lambda. */
  gatewayRequestId?: string;
  /** What the caller said the access is for (X-Vault-Purpose), as sent. */
  purpose?: string;
  /** For exchange keys: what the exchange check found. */
  exchangeCheck?: ExchangeCheckNote;
}

/** An entry as stored: one link of its vault process's hash chain. */
export interface TrailRecord extends AccessEntry {
  /** The writing process's chain: a random id chosen when the process wrote its first record. */
  chain: string;
  /** 1, 2, 3... within the chain; assigned in the order requests reached the trail. */
  seq: number;
  /** ISO-8601; never earlier than the chain's previous record. */
  time: string;
  /** When DynamoDB's TTL may delete the record (epoch seconds). */
  expiresAt: number;
  /** expiresAt of the chain's previous record (0 for the first): tells an expired gap from a removed one. */
  prevExpiresAt: number;
  /** Hash of the chain's previous record ('' for the first). */
  prev: string;
}

/**
 * A chain head MACed under the vault's MAC key, stored every so many records or seconds and at
 * shutdown. Number 0 only marks that the chain exists (its start; no MAC, nothing to protect).
 */
export interface TrailCheckpoint {
  chain: string;
  /** 0 for the chain's start, then 1, 2, 3... with no gaps. */
  n: number;
  time: string;
  /** The last sequence number covered (0 at the start). */
  upto: number;
  /** Hash of record `upto` ('' when upto is 0). */
  head: string;
  /** expiresAt of record `upto` (0 when upto is 0). */
  headExpiresAt: number;
  /** Sequence numbers in (previous checkpoint's upto, upto] whose write failed: their requests answered 503. */
  failed: number[];
  /** Other chains' latest checkpoints this process saw before making this one: `chain:n:expiresAt`. */
  witnessed: string[];
  expiresAt: number;
  /** expiresAt of the chain's previous checkpoint (0 for the start). */
  prevExpiresAt: number;
  /** HMAC-SHA-256 under the vault's MAC key (purpose `audit-checkpoint`); absent on the start marker. */
  mac?: Buffer;
}

/** One page of a secret's access records, newest first. */
export interface TrailQuery {
  path: string;
  /** Inclusive lower bound (ISO-8601). */
  since: string;
  /** Exclusive upper bound (ISO-8601). */
  until: string;
  limit: number;
  /** The store's position, from the previous page. */
  cursor?: string;
}

export interface TrailPage {
  records: TrailRecord[];
  /** Absent on the last page. */
  cursor?: string;
}

/** Describe's view of recent reads, from a bounded look at the trail (see the README for the bound). */
export interface AccessSummary {
  /** Time and principal of the latest successful read among the records examined; absent if none. */
  lastReadAt?: string;
  lastReadBy?: string;
  /** Successful reads in the 24 hours before the describe. */
  readsLast24h: number;
  /** True when the count reached the bound: at least this many. */
  readsLast24hCapped: boolean;
}

/**
 * The durable access trail the vault writes before it answers. `record` resolves once the
 * entry is stored and throws DependencyError when it cannot be; callers decide what a failure
 * means (for a read: no value leaves the vault).
 */
export interface AccessTrail {
  record(entry: AccessEntry): Promise<void>;
  history(query: TrailQuery): Promise<TrailPage>;
  summary(path: string, since: string): Promise<AccessSummary>;
}

/**
 * Where the trail's chains are kept (DynamoDB: a table of its own). Records and checkpoints are
 * only ever added; nothing here updates or deletes one.
 */
export interface TrailStore {
  /** Stores a record; storing the same record again (a retried write) is not an error. */
  append(record: TrailRecord): Promise<void>;
  putCheckpoint(checkpoint: TrailCheckpoint): Promise<void>;
  /** Checkpoints of any chain made from `since` to `until`, newest first, at most `limit`: what a new checkpoint witnesses. */
  recentCheckpoints(
    since: string,
    until: string,
    limit: number,
  ): Promise<Array<{ chain: string; n: number; expiresAt: number }>>;
  history(query: TrailQuery): Promise<TrailPage>;
  summary(path: string, since: string): Promise<AccessSummary>;
}

/** What `audit verify` reads: every chain, in order. */
export interface ChainSource {
  /** Chains with a checkpoint (or start marker) from `since` to `until`. */
  chainsSince(since: string, until: string): Promise<string[]>;
  /** Chains holding records of `path`. */
  chainsOfPath(path: string): Promise<{ chains: string[]; records: number }>;
  checkpoints(chain: string): Promise<TrailCheckpoint[]>;
  /** The chain's records with seq > afterSeq, in seq order. */
  records(chain: string, afterSeq: number): AsyncIterable<TrailRecord>;
}
