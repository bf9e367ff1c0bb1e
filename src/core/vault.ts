import { checkNote, refusalNote, resultCode, type Trace, trace } from './access-trace';
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
  AccessEntry,
  AccessSummary,
  AccessTrail,
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
  TrailRecord,
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
  /** API Gateway's own request id, on Lambda: lets an auditor join the trail to API Gateway's logs. */
  gatewayRequestId?: string;
  /** What the caller says the access is for (short printable text, as sent); recorded, never checked. */
  purpose?: string;
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
  /** Today's one line per decision (stdout); written in every mode. */
  audit: AuditSink;
  /** The durable access trail; absent when VAULT_AUDIT=log. */
  trail?: AccessTrail;
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

/** Describe's answer: the metadata, and a summary of recent reads for a caller who may also `audit`. */
export interface SecretDescription extends SecretMetadata {
  access?: AccessSummary;
}

export interface HistoryInput {
  /** Inclusive lower bound, ISO-8601. */
  since?: string | undefined;
  /** Exclusive upper bound, ISO-8601. */
  until?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface HistoryResult {
  items: TrailRecord[];
  /** Absent on the last page. */
  cursor?: string;
}

export interface RewrapResult {
  path: string;
  rewrapped: number[];
  skipped: number[];
  keyId: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const ALLOWED = 'policy rule matched';
const EARLIEST = '1970-01-01T00:00:00.000Z';
const LATEST = '9999-12-31T23:59:59.999Z';

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
    await this.authorize(caller, 'write', path);
    const done = trace();
    return this.traced(caller, 'write', path, done, async () => {
      const plaintext = Buffer.from(JSON.stringify(input.value), 'utf8');
      try {
        return await this.putValue(caller, path, input, plaintext, done);
      } finally {
        plaintext.fill(0);
      }
    });
  }

  private async putValue(
    caller: Caller,
    path: string,
    input: PutInput,
    plaintext: Buffer,
    done: Trace,
  ): Promise<PutResult> {
    if (plaintext.length > MAX_VALUE_BYTES)
      throw new TooLargeError(`value is larger than ${MAX_VALUE_BYTES} bytes of JSON`);
    // A typed value is validated, de-duplicated and checked once, before the write loop.
    const typed = await this.admitKind(caller, path, input).catch((error: unknown) => {
      if (input.exchange) {
        const refused = refusalNote(input.exchange, error);
        if (refused) done.exchangeCheck = refused;
      }
      throw error;
    });
    if (typed) done.exchangeCheck = checkNote(typed.facts.exchange, typed.facts.check, []);
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
      done.versions = [next.version];
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
  }

  /** The current value, or version `version`. Deleted and destroyed versions answer 410. */
  async get(caller: Caller, path: string, version?: number): Promise<ReadResult> {
    assertValidPath(path);
    await this.authorize(caller, 'read', path, version === undefined ? [] : [version]);
    const done = trace(version === undefined ? [] : [version]);
    return this.traced(caller, 'read', path, done, (commit) => this.read(path, version, done, commit));
  }

  private async read(
    path: string,
    version: number | undefined,
    done: Trace,
    commit: () => Promise<void>,
  ): Promise<ReadResult> {
    const head = await this.requireHead(path);
    const wanted = version ?? head.version;
    done.versions = [wanted];
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
      // No record, no plaintext: the read is on the trail before the value leaves the vault;
      // if it cannot be written, the buffer is zeroed below and the caller gets a 503.
      await commit();
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

  /**
   * Metadata and version summaries; never a value. A caller who may also `audit` the secret gets
   * a summary of its recent reads (from a bounded look at the trail: see AccessTrail.summary).
   */
  async describe(caller: Caller, path: string): Promise<SecretDescription> {
    assertValidPath(path);
    await this.authorize(caller, 'describe', path);
    return this.traced(caller, 'describe', path, trace(), async () => {
      const description: SecretDescription = toMetadata(await this.requireHead(path));
      const { trail, policy, clock } = this.deps;
      if (trail && isAllowed(policy, caller.principal, 'audit', path)) {
        description.access = await trail.summary(path, new Date(clock.now().getTime() - DAY_MS).toISOString());
      }
      return description;
    });
  }

  /**
   * A secret's access records, newest first, from the durable trail: who did what, when, with
   * which decision and stated purpose; never a value. Needs the `audit` action (not `read`), and
   * works for a secret that no longer exists. Paged with sealed cursors bound to the caller
   * and the query, as listings are.
   */
  async history(caller: Caller, path: string, input: HistoryInput): Promise<HistoryResult> {
    assertValidPath(path);
    await this.authorize(caller, 'audit', path);
    return this.traced(caller, 'audit', path, trace(), async () => {
      const trail = this.deps.trail;
      if (!trail) throw new ValidationError('the durable access trail is off in this vault (VAULT_AUDIT=log)');
      const since = instant(input.since, 'since') ?? EARLIEST;
      const until = instant(input.until, 'until') ?? LATEST;
      if (since >= until) throw new ValidationError('since must be earlier than until');
      const binding = { principal: caller.principal, path, since, until, limit: String(input.limit) };
      // The pages are a snapshot as of the first one: records that arrive while a caller pages
      // (a new read, this very query's record) wait for the next query instead of turning up
      // between older ones. The first page pins its time as the upper bound, sealed in the cursor.
      let pinned: string;
      let cursor: string | undefined;
      if (input.cursor !== undefined) {
        ({ pinned, cursor } = readHistoryPosition((await this.cursors.open(input.cursor, binding)).store));
      } else {
        const now = this.deps.clock.now().toISOString();
        // biome-ignore lint/complexity/useMathMinMax: ISO strings, compared as text, not numbers
        pinned = now < until ? now : until;
      }
      const page = await trail.history({
        path,
        since,
        until: pinned,
        limit: input.limit,
        ...(cursor !== undefined && { cursor }),
      });
      const result: HistoryResult = { items: page.records };
      if (page.cursor !== undefined)
        result.cursor = await this.cursors.seal({ range: 0, store: JSON.stringify([pinned, page.cursor]) }, binding);
      return result;
    });
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
    // A listing is on a prefix, not a secret: its decision is logged, not put on the trail.
    if (!holdsAnywhere(policy, caller.principal, 'list')) {
      this.logDecision(caller, 'list', input.prefix, 'deny', 'no list rule for principal');
      throw new AccessDeniedError();
    }
    this.logDecision(caller, 'list', input.prefix, 'allow', ALLOWED);
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
    await this.authorize(caller, 'destroy', path);
    const done = trace();
    return this.traced(caller, 'destroy', path, done, () => this.eraseAll(caller, path, cas, done));
  }

  private async eraseAll(caller: Caller, path: string, cas: number | undefined, done: Trace): Promise<void> {
    const head = await this.requireHead(path);
    done.versions = head.versions.map((v) => v.version);
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
    await this.authorize(caller, 'admin', path);
    const done = trace();
    return this.traced(caller, 'admin', path, done, async () => {
      const result = await this.rewrapVersions(path);
      done.versions = result.rewrapped;
      return result;
    });
  }

  private async rewrapVersions(path: string): Promise<RewrapResult> {
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
    await this.removeLeftovers(path, head);
    return { path, rewrapped, skipped, keyId: currentKeyId };
  }

  /**
   * A write that crashed between its HEAD write and the retention delete left the dropped
   * version's item behind: sealed, unreachable (reads answer 410), but ciphertext retention
   * promised to remove. Rewrap visits every secret, so it finishes those deletes: items below
   * the HEAD's version that its summary no longer names. Items above it belong to writers
   * racing with a newer HEAD and are left alone.
   */
  private async removeLeftovers(path: string, head: SecretHead): Promise<void> {
    const retained = new Set(head.versions.map((v) => v.version));
    for (const version of await this.deps.store.listVersionItems(path)) {
      if (version < head.version && !retained.has(version)) await this.deps.store.removeVersion(path, version);
    }
  }

  /**
   * Asks the exchange again what the current version's key may do, and records the answer on
   * the secret without a new version: a key that gained withdraw since ingest, or that the
   * exchange now refuses, is flagged (and listable with `flagged=true`). The value is opened
   * to sign the exchange call and never leaves the vault. Needs the `check` action.
   */
  async recheck(caller: Caller, path: string): Promise<RecheckResult> {
    assertValidPath(path);
    await this.authorize(caller, 'check', path);
    const done = trace();
    return this.traced(caller, 'check', path, done, () => this.recheckKey(caller, path, done));
  }

  private async recheckKey(caller: Caller, path: string, done: Trace): Promise<RecheckResult> {
    const intake = this.requireIntake();
    const head = await this.requireHead(path);
    done.versions = [head.version];
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
    done.exchangeCheck = checkNote(facts.exchange, outcome.check, outcome.flagged);
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
    await this.authorize(caller, action, path, input.versions ?? []);
    const done = trace(input.versions ?? []);
    return this.traced(caller, action, path, done, () => this.changeStates(caller, path, input, change, done));
  }

  private async changeStates(
    caller: Caller,
    path: string,
    input: VersionsInput,
    change: (summary: VersionSummary) => void,
    done: Trace,
  ): Promise<MutationResult> {
    const head = await this.requireHead(path);
    this.checkCas(caller, path, head, input.cas);
    const wanted = input.versions && input.versions.length > 0 ? [...new Set(input.versions)] : [head.version];
    done.versions = wanted;
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

  /**
   * The policy decision, before any KMS or storage call. A denial is put on the trail too, but
   * it stays a denial whatever happens to that write: a trail outage must not turn a 403 into
   * a 503 (which would tell a prober the trail is down) or into anything else.
   */
  private async authorize(caller: Caller, action: Action, path: string, versions: number[] = []): Promise<void> {
    if (isAllowed(this.deps.policy, caller.principal, action, path)) {
      this.logDecision(caller, action, path, 'allow', ALLOWED, versions);
      return;
    }
    const reason = 'no rule allows it';
    this.logDecision(caller, action, path, 'deny', reason, versions);
    await this.deps.trail
      ?.record(this.entry(caller, action, path, trace(versions), 'deny', reason, 'access_denied'))
      .catch(() => undefined);
    throw new AccessDeniedError();
  }

  /**
   * Runs an allowed request and puts its outcome on the trail before the answer leaves: `ok`
   * (a failed write of that is a DependencyError: the caller gets a 503, and for a change, the
   * change stands and is visible without its record; see README) or the error it ended with
   * (a failed write of that leaves the original error as the answer). A use case that must
   * hold its answer until the record is stored (a read) calls `commit` itself.
   */
  private async traced<T>(
    caller: Caller,
    action: Action,
    path: string,
    done: Trace,
    run: (commit: () => Promise<void>) => Promise<T>,
  ): Promise<T> {
    const commit = async () => {
      done.recorded = true;
      await this.deps.trail?.record(this.entry(caller, action, path, done, 'allow', ALLOWED, 'ok'));
    };
    let result: T;
    try {
      result = await run(commit);
    } catch (error) {
      if (!done.recorded) {
        const failed = this.entry(caller, action, path, done, 'allow', ALLOWED, resultCode(error));
        await this.deps.trail?.record(failed).catch(() => undefined);
      }
      throw error;
    }
    if (!done.recorded) await commit();
    return result;
  }

  private entry(
    caller: Caller,
    action: Action,
    path: string,
    done: Trace,
    decision: 'allow' | 'deny',
    reason: string,
    result: string,
  ): AccessEntry {
    return {
      principal: caller.principal,
      action,
      path,
      versions: done.versions,
      decision,
      reason,
      result,
      requestId: caller.requestId,
      ...(caller.gatewayRequestId !== undefined && { gatewayRequestId: caller.gatewayRequestId }),
      ...(caller.purpose !== undefined && { purpose: caller.purpose }),
      ...(done.exchangeCheck && { exchangeCheck: done.exchangeCheck }),
    };
  }

  /** Today's stdout line per decision (AuditSink), written in every mode. */
  private logDecision(
    caller: Caller,
    action: Action,
    path: string,
    decision: 'allow' | 'deny',
    reason: string,
    versions: number[] = [],
  ): void {
    this.deps.audit.record({
      requestId: caller.requestId,
      principal: caller.principal,
      action,
      path,
      ...(versions.length === 1 && { version: versions[0]! }),
      decision,
      reason,
    });
  }
}

/** An ISO-8601 instant in the trail's one form (UTC, milliseconds), so it compares as text with stored times. */
function instant(text: string | undefined, name: string): string | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms))
    throw new ValidationError(`${name} must be an ISO-8601 instant`);
  return new Date(ms).toISOString();
}

/** What a history cursor seals: the first page's pinned upper bound and the store's own position. */
function readHistoryPosition(store: string | undefined): { pinned: string; cursor: string } {
  try {
    const [pinned, cursor] = JSON.parse(store ?? '') as unknown[];
    if (typeof pinned === 'string' && typeof cursor === 'string') return { pinned, cursor };
  } catch {
    // falls through
  }
  throw new ValidationError('invalid cursor');
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
