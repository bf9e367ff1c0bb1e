import { type CursorPosition, CursorSealer, fingerprint } from './cursor-seal';
import { contextFor, open, seal } from './envelope';
import {
  AccessDeniedError,
  IntegrityError,
  SecretGoneError,
  SecretNotFoundError,
  TooLargeError,
  TooManyVersionsError,
  ValidationError,
  VersionConflictError,
} from './errors';
import { type ExchangeKeyDeps, ExchangeKeyIntake, KindMismatchError } from './exchange-key-intake';
import {
  type Exchange,
  type ExchangeCredential,
  type PermissionCheck,
  parseExchangeCredential,
  rotationDueWithExpiry,
} from './exchange-keys';
import { assertValidPath, assertValidPrefix } from './paths';
import { type Action, holdsAnywhere, isAllowed, type Policy, seesEverything, visibleRanges } from './policy';
import type {
  AuditSink,
  Clock,
  Envelope,
  ExchangeKeyFacts,
  KeyProvider,
  ListPage,
  ListQuery,
  SecretHead,
  SecretMetadata,
  SecretStore,
  VersionSummary,
} from './ports';

export const MAX_VALUE_BYTES = 16 * 1024;
export const MAX_VERSION = 9_999_999_999;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Smallest store page a listing reads, and how many pages one list request may read. */
const MIN_STORE_PAGE = 25;
const MAX_STORE_PAGES = 10;

/** Who is asking, for authorisation and the audit trail. */
export interface Caller {
  principal: string;
  requestId: string;
}

/** A secret value as callers send it: a string or a JSON object. */
export type SecretValue = string | Record<string, unknown>;

export interface VaultSettings {
  /** Versions kept per secret; older ones are destroyed as new ones are written. */
  maxVersions: number;
  /**
   * Retention never destroys a version younger than this (hours), so `write` alone cannot
   * erase recent history; until then a secret may hold more than maxVersions.
   */
  retentionMinAgeHours: number;
  /** Most versions a secret may hold while young ones wait out their minimum age. */
  versionCeiling: number;
  /** Default rotation period, days. */
  rotationDays: number;
  /** Attempts for a write without `cas` that keeps losing the optimistic race. */
  maxWriteAttempts: number;
}

export interface VaultDeps {
  keys: KeyProvider;
  store: SecretStore;
  /** Exchange keys as a typed kind; without it, writes declaring a kind are refused. */
  exchanges?: ExchangeKeyDeps;
  policy: Policy;
  audit: AuditSink;
  clock: Clock;
  settings: VaultSettings;
  /** Back-off between lost races; injectable so tests need not wait. */
  sleep?: (ms: number) => Promise<void>;
}

export interface PutInput {
  value: SecretValue;
  /** A typed secret: the value is then validated and checked for that kind. */
  kind?: 'exchange-api-key' | undefined;
  /** With kind exchange-api-key: which exchange issued the key. */
  exchange?: Exchange | undefined;
  labels?: Record<string, string> | undefined;
  cas?: number | undefined;
  rotationDays?: number | undefined;
}

/**
 * What a change reports: the path and its current version, and the full metadata only when the
 * caller may also describe the secret (a writer is not told who else wrote, or the labels).
 */
export interface MutationResult {
  path: string;
  version: number;
  metadata?: SecretMetadata;
}

export interface PutResult extends MutationResult {
  created: boolean;
}

export interface ReadResult {
  path: string;
  version: number;
  value: SecretValue;
  createdAt: string;
  createdBy: string;
}

export interface ListInput {
  prefix: string;
  limit: number;
  cursor?: string | undefined;
  rotationDue?: boolean | undefined;
  /** Only exchange keys whose latest re-check flagged them. */
  flagged?: boolean | undefined;
}

/** What a re-check of an exchange key found, recorded on the secret without a new version. */
export interface RecheckResult extends MutationResult {
  check: PermissionCheck | null;
  /** Empty when the key passes. */
  flagged: string[];
}

/** Which versions a lifecycle call acts on; `cas` is the version the caller expects current. */
export interface VersionsInput {
  versions?: number[] | undefined;
  cas?: number | undefined;
}

export interface RewrapResult {
  path: string;
  rewrapped: number[];
  skipped: number[];
  keyId: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The use cases. Every method authorises first (before any KMS or storage call), then reads
 * the HEAD, then makes single-item conditional writes in an order where a crash at any step
 * leaves only correct, committed data.
 */
export class Vault {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly cursors: CursorSealer;
  private readonly intake: ExchangeKeyIntake | undefined;

  constructor(private readonly deps: VaultDeps) {
    this.sleep = deps.sleep ?? defaultSleep;
    this.cursors = new CursorSealer(deps.keys, deps.clock);
    this.intake = deps.exchanges && new ExchangeKeyIntake(deps.exchanges, deps.store);
  }

  /** Writes a new version. Without `cas`, lost races are retried with jittered back-off. */
  async put(caller: Caller, path: string, input: PutInput): Promise<PutResult> {
    assertValidPath(path);
    this.authorize(caller, 'write', path);
    const plaintext = Buffer.from(JSON.stringify(input.value), 'utf8');
    try {
      if (plaintext.length > MAX_VALUE_BYTES)
        throw new TooLargeError(`value is larger than ${MAX_VALUE_BYTES} bytes of JSON`);
      // A typed value is validated, de-duplicated and checked once, before the write loop.
      const typed = await this.admitKind(caller, path, input);
      let copied: { version: number; envelope: Envelope } | undefined;
      for (let attempt = 1; ; attempt++) {
        const head = await this.deps.store.getHead(path);
        if (copied !== undefined) await this.reconcileCopy(path, copied, head);
        copied = undefined;
        this.checkCas(caller, path, head, input.cas);
        checkKind(head, input);
        const next = this.nextHead(caller, path, head, input, typed);
        // Before anything is written or sealed: a refusal here changes nothing.
        const pruned = this.applyRetention(next);
        // Preserve the current version before the HEAD moves on. An item already present is
        // the same committed envelope (or a tombstone of a destroyed one), so it counts as done.
        if (head?.envelope && (await this.deps.store.putVersion(path, head.version, head.envelope))) {
          copied = { version: head.version, envelope: head.envelope };
        }
        next.envelope = await seal(this.deps.keys, plaintext, contextFor(path, next.version));
        next.versions[next.versions.length - 1]!.kid = next.envelope.kid;
        try {
          if (head) await this.deps.store.replaceHead(next, head.rev);
          else await this.deps.store.createHead(next);
        } catch (error) {
          if (!(error instanceof VersionConflictError) || input.cas !== undefined) throw error;
          if (attempt >= this.deps.settings.maxWriteAttempts) {
            throw new VersionConflictError('too many concurrent writers; retry', { cause: error });
          }
          await this.sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
          continue;
        }
        for (const version of pruned) await this.deps.store.removeVersion(path, version);
        return { created: !head, ...this.report(caller, next) };
      }
    } finally {
      plaintext.fill(0);
    }
  }

  /** The current value, or version `version`. Deleted and destroyed versions answer 410. */
  async get(caller: Caller, path: string, version?: number): Promise<ReadResult> {
    assertValidPath(path);
    this.authorize(caller, 'read', path, version);
    const head = await this.requireHead(path);
    const wanted = version ?? head.version;
    const summary = this.requireVersion(head, wanted);
    if (summary.state !== 'active') throw new SecretGoneError(summary.state, wanted);
    const envelope = wanted === head.version ? head.envelope : await this.deps.store.getVersion(path, wanted);
    // An active version always has its envelope: the copy is written before the HEAD moves.
    if (!envelope) throw new IntegrityError(`version ${wanted} has no stored envelope`);
    // The HEAD's summary records which key wraps each version. The one honest difference is a
    // rewrap in flight, which moves version items to the current key before the HEAD; any other
    // key was not put there by this vault, and is refused before it is used.
    if (
      summary.kid !== undefined &&
      envelope.kid !== summary.kid &&
      envelope.kid !== (await this.deps.keys.currentKeyId())
    ) {
      throw new IntegrityError(`version ${wanted} is wrapped by a key its summary does not name`);
    }
    const plaintext = await open(this.deps.keys, envelope, contextFor(path, wanted));
    try {
      return {
        path,
        version: wanted,
        value: JSON.parse(plaintext.toString('utf8')) as SecretValue,
        createdAt: summary.createdAt,
        createdBy: summary.createdBy,
      };
    } finally {
      plaintext.fill(0);
    }
  }

  /** Metadata and version summaries; never a value. */
  async describe(caller: Caller, path: string): Promise<SecretMetadata> {
    assertValidPath(path);
    this.authorize(caller, 'describe', path);
    return toMetadata(await this.requireHead(path));
  }

  /**
   * A page of metadata under `prefix`, holding only secrets the caller may both list and
   * describe. Only the parts of the path space where the caller may do both are read (see
   * visibleRanges), so neither a page nor its cursor can carry a path the caller may not see.
   * Cursors are sealed and bound to the caller and the query. Pages may be shorter than
   * `limit`; only the absence of `cursor` means the end.
   */
  async list(caller: Caller, input: ListInput): Promise<ListPage> {
    assertValidPrefix(input.prefix);
    const { policy, store } = this.deps;
    if (!holdsAnywhere(policy, caller.principal, 'list'))
      this.deny(caller, 'list', input.prefix, 'no list rule for principal');
    this.allow(caller, 'list', input.prefix);
    const ranges = visibleRanges(policy, caller.principal, input.prefix);
    const binding = {
      principal: caller.principal,
      prefix: input.prefix,
      rotationDue: String(Boolean(input.rotationDue)),
      flagged: String(Boolean(input.flagged)),
      limit: String(input.limit),
      ranges: fingerprint(JSON.stringify(ranges)),
    };
    // Opened before any store call: a bad cursor costs nothing but this check.
    const start: CursorPosition = input.cursor ? await this.cursors.open(input.cursor, binding) : { range: 0 };
    if (start.range > ranges.length) throw new ValidationError('invalid cursor');
    const rotationDueBefore = input.rotationDue ? this.deps.clock.now().toISOString() : undefined;
    // Due order comes from the rotation index, where the prefix is only a filter: safe for a
    // caller who sees every path, so others get path order, range by range.
    const order = rotationDueBefore && seesEverything(policy, caller.principal) ? 'due' : 'path';
    const items: SecretMetadata[] = [];
    const page = async (position: CursorPosition): Promise<ListPage> =>
      position.range < ranges.length ? { items, cursor: await this.cursors.seal(position, binding) } : { items };
    let reads = 0;
    for (let r = start.range; r < ranges.length; r++) {
      const range = ranges[r]!;
      if (range.kind === 'exact') {
        if (reads++ >= MAX_STORE_PAGES) return page({ range: r });
        const head = await store.getHead(range.value);
        const flaggedOk = !input.flagged || (head?.exchangeKey?.flagged?.length ?? 0) > 0;
        if (head && flaggedOk && (!rotationDueBefore || head.rotationDueAt <= rotationDueBefore))
          items.push(toMetadata(head));
        if (items.length === input.limit) return page({ range: r + 1 });
        continue;
      }
      const query: ListQuery = {
        prefix: range.value,
        limit: Math.max(input.limit, MIN_STORE_PAGE),
        order,
        ...(rotationDueBefore && { rotationDueBefore }),
        ...(input.flagged && { flaggedOnly: true }),
      };
      let cursor = r === start.range ? start.store : undefined;
      do {
        if (reads++ >= MAX_STORE_PAGES) return page({ range: r, ...(cursor !== undefined && { store: cursor }) });
        // Store pages are read whole (asking for only what is missing would read one item per
        // round trip once a page is nearly full); a cursor resumes after the last item returned.
        const found = await store.list({ ...query, ...(cursor !== undefined && { cursor }) });
        for (const [index, item] of found.items.entries()) {
          // Every item of a visible range is visible; checked again all the same.
          if (!this.mayList(caller, item.path)) continue;
          items.push(toMetadata(item as SecretHead));
          if (items.length === input.limit) {
            const next = index === found.items.length - 1 ? found.cursor : store.cursorAfter(item, query);
            return page(next !== undefined ? { range: r, store: next } : { range: r + 1 });
          }
        }
        cursor = found.cursor;
      } while (cursor !== undefined);
    }
    return { items };
  }

  /** Soft-deletes versions (the current one by default); recoverable with undelete. */
  async delete(caller: Caller, path: string, input: VersionsInput): Promise<MutationResult> {
    return this.transition(caller, 'delete', path, input, (summary) => {
      if (summary.state === 'destroyed') throw new SecretGoneError('destroyed', summary.version);
      summary.state = 'deleted';
    });
  }

  /** Recovers soft-deleted versions. */
  async undelete(caller: Caller, path: string, input: VersionsInput): Promise<MutationResult> {
    return this.transition(caller, 'delete', path, input, (summary) => {
      if (summary.state === 'destroyed') throw new SecretGoneError('destroyed', summary.version);
      summary.state = 'active';
    });
  }

  /**
   * Erases versions for good: the HEAD marks them destroyed (and drops the current envelope if
   * it is one of them) in one conditional write; then each V#n envelope is erased. A crash in
   * between leaves a version marked destroyed whose envelope the next destroy erases.
   */
  async destroy(caller: Caller, path: string, input: VersionsInput): Promise<MutationResult> {
    return this.transition(caller, 'destroy', path, input, (summary) => {
      summary.state = 'destroyed';
      delete summary.kid;
    });
  }

  /**
   * Erases a secret and every version. Order: mark all destroyed in the HEAD (conditional),
   * remove every version item, then delete the HEAD (conditional on the new rev). A crash
   * leaves a HEAD with destroyed versions that a rerun finishes; a racing write wins and
   * this call answers 409.
   */
  async destroyAll(caller: Caller, path: string, cas?: number): Promise<void> {
    assertValidPath(path);
    this.authorize(caller, 'destroy', path);
    const head = await this.requireHead(path);
    this.checkCas(caller, path, head, cas);
    const next: SecretHead = {
      ...head,
      rev: head.rev + 1,
      versions: head.versions.map(({ kid: _kid, ...v }) => ({ ...v, state: 'destroyed' as const })),
      ...this.touched(caller),
    };
    delete next.envelope;
    await this.deps.store.replaceHead(next, head.rev);
    for (const version of await this.deps.store.listVersionItems(path))
      await this.deps.store.removeVersion(path, version);
    await this.deps.store.deleteHead(path, next.rev);
  }

  /**
   * Rewraps every retained version's data key under the current key with KMS ReEncrypt (the
   * plaintext key never leaves KMS); the ciphertext is untouched. Version items first, then
   * the HEAD on condition of its rev, so a conflict or crash leaves every version openable.
   */
  async rewrap(caller: Caller, path: string): Promise<RewrapResult> {
    assertValidPath(path);
    this.authorize(caller, 'admin', path);
    const { keys, store } = this.deps;
    const head = await this.requireHead(path);
    const currentKeyId = await keys.currentKeyId();
    const next: SecretHead = { ...head, rev: head.rev + 1, versions: head.versions.map((v) => ({ ...v })) };
    const rewrapped: number[] = [];
    const skipped: number[] = [];
    for (const summary of next.versions) {
      if (summary.state === 'destroyed') continue;
      const isCurrent = summary.version === head.version;
      const envelope = isCurrent ? head.envelope : await store.getVersion(path, summary.version);
      if (!envelope) continue;
      if (envelope.kid === currentKeyId) {
        summary.kid = envelope.kid;
        skipped.push(summary.version);
        continue;
      }
      const moved = await keys.rewrapDataKey(envelope.edk, envelope.kid, contextFor(path, summary.version));
      const rewrappedEnvelope: Envelope = { ...envelope, edk: moved.wrapped, kid: moved.keyId };
      if (isCurrent) next.envelope = rewrappedEnvelope;
      else await store.replaceVersionEnvelope(path, summary.version, rewrappedEnvelope, envelope.edk);
      summary.kid = moved.keyId;
      rewrapped.push(summary.version);
    }
    if (rewrapped.length > 0 || next.versions.some((v, i) => v.kid !== head.versions[i]!.kid)) {
      await store.replaceHead(next, head.rev);
    }
    return { path, rewrapped, skipped, keyId: currentKeyId };
  }

  /**
   * Asks the exchange again what the current version's key may do, and records the answer on
   * the secret without a new version: a key that gained withdraw since ingest, or that the
   * exchange now refuses, is flagged (and listable with `flagged=true`). The value is opened
   * to sign the exchange call and never leaves the vault. Needs the `check` action.
   */
  async recheck(caller: Caller, path: string): Promise<RecheckResult> {
    assertValidPath(path);
    this.authorize(caller, 'check', path);
    const intake = this.requireIntake();
    const head = await this.requireHead(path);
    const facts = head.exchangeKey;
    if (!facts) throw new ValidationError('the secret at this path is not an exchange key');
    const summary = this.requireVersion(head, head.version);
    if (summary.state !== 'active') throw new SecretGoneError(summary.state, head.version);
    if (!head.envelope) throw new IntegrityError(`version ${head.version} has no stored envelope`);
    const plaintext = await open(this.deps.keys, head.envelope, contextFor(path, head.version));
    let credential: ExchangeCredential;
    try {
      credential = parseExchangeCredential(facts.exchange, JSON.parse(plaintext.toString('utf8')));
    } finally {
      plaintext.fill(0);
    }
    const outcome = await intake.recheck(facts.exchange, credential, facts.check);
    const next: SecretHead = {
      ...head,
      rev: head.rev + 1,
      exchangeKey: { ...facts, check: outcome.check },
      rotationDueAt: rotationDueWithExpiry(this.baseRotationDue(head), outcome.check),
    };
    delete next.exchangeKey!.flagged;
    if (outcome.flagged.length > 0) next.exchangeKey!.flagged = outcome.flagged;
    // Conditional on the HEAD read: a write in between made this answer about an older version.
    await this.deps.store.replaceHead(next, head.rev);
    return { ...this.report(caller, next), check: outcome.check, flagged: outcome.flagged };
  }

  private async transition(
    caller: Caller,
    action: Action,
    path: string,
    input: VersionsInput,
    change: (summary: VersionSummary) => void,
  ): Promise<MutationResult> {
    assertValidPath(path);
    this.authorize(caller, action, path, input.versions?.length === 1 ? input.versions[0] : undefined);
    const head = await this.requireHead(path);
    this.checkCas(caller, path, head, input.cas);
    const wanted = input.versions && input.versions.length > 0 ? [...new Set(input.versions)] : [head.version];
    const next: SecretHead = {
      ...head,
      rev: head.rev + 1,
      versions: head.versions.map((v) => ({ ...v })),
      ...this.touched(caller),
    };
    for (const version of wanted) {
      const summary = this.requireVersion(next, version);
      change(summary);
    }
    const destroyed = wanted.filter((v) => next.versions.find((s) => s.version === v)?.state === 'destroyed');
    if (destroyed.includes(head.version)) delete next.envelope;
    await this.deps.store.replaceHead(next, head.rev);
    // Erase after the HEAD commit: until then the versions were live and must stay openable.
    for (const version of destroyed) if (version !== head.version) await this.deps.store.eraseVersion(path, version);
    return this.report(caller, next);
  }

  private nextHead(
    caller: Caller,
    path: string,
    head: SecretHead | undefined,
    input: PutInput,
    typed: { facts: ExchangeKeyFacts; keyIndex: string } | undefined,
  ): SecretHead {
    const now = this.deps.clock.now().toISOString();
    const version = (head?.version ?? 0) + 1;
    const rotationDays = input.rotationDays ?? head?.rotationDays;
    const next: SecretHead = {
      path,
      version,
      rev: (head?.rev ?? 0) + 1,
      labels: input.labels ?? head?.labels ?? {},
      createdAt: head?.createdAt ?? now,
      createdBy: head?.createdBy ?? caller.principal,
      updatedAt: now,
      updatedBy: caller.principal,
      currentSince: now,
      rotationDueAt: new Date(
        Date.parse(now) + (rotationDays ?? this.deps.settings.rotationDays) * DAY_MS,
      ).toISOString(),
      versions: [
        ...(head?.versions.map((v) => ({ ...v })) ?? []),
        { version, createdAt: now, createdBy: caller.principal, state: 'active' },
      ],
    };
    if (rotationDays !== undefined) next.rotationDays = rotationDays;
    if (typed) {
      next.exchangeKey = typed.facts;
      next.keyIndex = typed.keyIndex;
      // A key that will stop working falls due for rotation before it does.
      next.rotationDueAt = rotationDueWithExpiry(next.rotationDueAt, typed.facts.check);
    }
    return next;
  }

  /** When the current version falls due by age alone: its write time plus the rotation period. */
  private baseRotationDue(head: SecretHead): string {
    const days = head.rotationDays ?? this.deps.settings.rotationDays;
    return new Date(Date.parse(head.currentSince) + days * DAY_MS).toISOString();
  }

  /** Validates and checks a typed value; undefined for a plain secret. */
  private async admitKind(
    caller: Caller,
    path: string,
    input: PutInput,
  ): Promise<{ facts: ExchangeKeyFacts; keyIndex: string } | undefined> {
    if (input.kind === undefined) {
      if (input.exchange !== undefined) throw new ValidationError('exchange is only for kind exchange-api-key');
      return undefined;
    }
    if (!input.exchange) throw new ValidationError('an exchange-api-key secret needs its exchange');
    const intake = this.requireIntake();
    // Refuse a kind change before calling anyone; the write loop checks again on the HEAD it writes.
    checkKind(await this.deps.store.getHead(path), input);
    return intake.admit(path, input.exchange, input.value, (other) => this.mayDescribe(caller, other));
  }

  private requireIntake(): ExchangeKeyIntake {
    if (!this.intake) throw new ValidationError('exchange keys are not enabled in this vault');
    return this.intake;
  }

  /**
   * Drops versions beyond maxVersions from the summary, oldest first, but only those older than
   * the retention minimum age (or already destroyed: nothing is left to lose); returns those
   * whose items to remove. Too many young versions is a 409 before anything is written.
   */
  private applyRetention(next: SecretHead): number[] {
    const { maxVersions, retentionMinAgeHours, versionCeiling } = this.deps.settings;
    const youngest = this.deps.clock.now().getTime() - retentionMinAgeHours * HOUR_MS;
    const dropped: number[] = [];
    // The last entry is the version being written: never a candidate.
    for (const summary of next.versions.slice(0, -1)) {
      if (next.versions.length - dropped.length <= maxVersions) break;
      if (summary.state === 'destroyed' || Date.parse(summary.createdAt) <= youngest) dropped.push(summary.version);
    }
    next.versions = next.versions.filter((v) => !dropped.includes(v.version));
    if (next.versions.length > versionCeiling) throw new TooManyVersionsError(versionCeiling);
    return dropped;
  }

  /**
   * A writer that copied V#n from a HEAD it read, then lost the race, may have stored an
   * envelope the winner has since changed: a destroy or retention removed the version (the
   * copy goes again), or a rewrap moved the current version to a new key (the copy must
   * follow, or the summary would name a key the stored item is not under).
   */
  private async reconcileCopy(
    path: string,
    copied: { version: number; envelope: Envelope },
    head: SecretHead | undefined,
  ): Promise<void> {
    const summary = head?.versions.find((v) => v.version === copied.version);
    if (!summary) await this.deps.store.removeVersion(path, copied.version);
    else if (summary.state === 'destroyed') await this.deps.store.eraseVersion(path, copied.version);
    else if (head!.version === copied.version && head!.envelope && !head!.envelope.edk.equals(copied.envelope.edk)) {
      await this.deps.store.replaceVersionEnvelope(path, copied.version, head!.envelope, copied.envelope.edk);
    }
  }

  private checkCas(caller: Caller, path: string, head: SecretHead | undefined, cas: number | undefined): void {
    if (cas === undefined) return;
    const current = head?.version ?? 0;
    if (current === cas) return;
    // The current version is metadata: only a caller who may describe the secret learns it.
    throw new VersionConflictError(
      this.mayDescribe(caller, path) ? `cas ${cas} does not match the current version ${current}` : 'cas mismatch',
    );
  }

  private mayDescribe(caller: Caller, path: string): boolean {
    return isAllowed(this.deps.policy, caller.principal, 'describe', path);
  }

  private mayList(caller: Caller, path: string): boolean {
    return isAllowed(this.deps.policy, caller.principal, 'list', path) && this.mayDescribe(caller, path);
  }

  /** The path and version, plus the metadata when the caller may describe it. */
  private report(caller: Caller, head: SecretHead): MutationResult {
    const result: MutationResult = { path: head.path, version: head.version };
    if (this.mayDescribe(caller, head.path)) result.metadata = toMetadata(head);
    return result;
  }

  private async requireHead(path: string): Promise<SecretHead> {
    const head = await this.deps.store.getHead(path);
    if (!head) throw new SecretNotFoundError();
    return head;
  }

  /** 404 for versions that never existed; 410 destroyed for ones retention has dropped. */
  private requireVersion(head: SecretHead, version: number): VersionSummary {
    if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION)
      throw new ValidationError('version must be an integer from 1');
    if (version > head.version) throw new SecretNotFoundError(`version ${version} does not exist`);
    const summary = head.versions.find((v) => v.version === version);
    if (!summary) throw new SecretGoneError('destroyed', version);
    return summary;
  }

  private touched(caller: Caller): Pick<SecretHead, 'updatedAt' | 'updatedBy'> {
    return { updatedAt: this.deps.clock.now().toISOString(), updatedBy: caller.principal };
  }

  private authorize(caller: Caller, action: Action, path: string, version?: number): void {
    if (!isAllowed(this.deps.policy, caller.principal, action, path))
      this.deny(caller, action, path, 'no rule allows it', version);
    this.allow(caller, action, path, version);
  }

  private allow(caller: Caller, action: Action, path: string, version?: number): void {
    this.deps.audit.record({
      requestId: caller.requestId,
      principal: caller.principal,
      action,
      path,
      ...(version !== undefined && { version }),
      decision: 'allow',
      reason: 'policy rule matched',
    });
  }

  private deny(caller: Caller, action: Action, path: string, reason: string, version?: number): never {
    this.deps.audit.record({
      requestId: caller.requestId,
      principal: caller.principal,
      action,
      path,
      ...(version !== undefined && { version }),
      decision: 'deny',
      reason,
    });
    throw new AccessDeniedError();
  }
}

/** The HEAD without its envelope: what describe, list and write responses show. */
export function toMetadata(head: SecretHead): SecretMetadata {
  const { envelope: _envelope, keyIndex: _keyIndex, ...metadata } = head;
  return metadata;
}

/** A secret keeps its kind and exchange for good; plain secrets stay plain. */
function checkKind(head: SecretHead | undefined, input: PutInput): void {
  if (!head) return;
  const was = head.exchangeKey;
  if (!was && input.kind) throw new KindMismatchError('a plain secret cannot become an exchange key; use a new path');
  if (was && !input.kind) throw new KindMismatchError(`this secret is an exchange-api-key: later versions must be too`);
  if (was && input.exchange !== was.exchange) {
    throw new KindMismatchError(`this secret holds a ${was.exchange} key: later versions must be ${was.exchange} keys`);
  }
}
