import { timingSafeEqual } from 'node:crypto';
import type { ChainSource, MacProvider, SecretHead, TrailCheckpoint, TrailRecord } from './ports';
import { CHECKPOINT_PURPOSE, checkpointMessage, parseWitnessEntry, recordHash } from './trail-format';

/**
 * - altered: a record is not what was written (a link or a checkpoint's hash does not match);
 * - removed: records missing from a chain where no TTL can have removed them yet and no
 *   checkpoint lists them as failed writes;
 * - forged-checkpoint: a checkpoint whose MAC does not verify (never trusted for anything);
 * - removed-checkpoint: a chain's checkpoint numbering has a gap TTL does not explain;
 * - truncated: another chain witnessed this chain's checkpoint n, and it is gone;
 * - missing-chain: another chain witnessed this chain, and nothing of it is left;
 * - unrecorded-change (with a path): the secret shows a version or a lifecycle change that no
 *   record of the trail accounts for (a change whose record could not be written, and whose
 *   request answered 503; or a record removed before any checkpoint covered it).
 */
export type FindingKind =
  | 'altered'
  | 'removed'
  | 'forged-checkpoint'
  | 'removed-checkpoint'
  | 'truncated'
  | 'missing-chain'
  | 'unrecorded-change';

export interface Finding {
  kind: FindingKind;
  chain: string;
  /** Sequence numbers (records) or checkpoint numbers concerned, inclusive. */
  from: number;
  to: number;
  detail: string;
}

export interface ChainReport {
  chain: string;
  /** Records read (from the anchor on, with --since). */
  records: number;
  lastSeq: number;
  /** Checkpoints whose MAC verified. */
  checkpoints: number;
  /** Highest sequence number a verified checkpoint covers. */
  coveredThrough: number;
  /** Records after the last verified checkpoint: what an attacker could still remove or change unseen. */
  uncovered?: { records: number; fromSeq: number; toSeq: number; since: string };
  /** Missing records a checkpoint lists as failed writes (their requests answered 503). */
  failedWrites: number[];
  /** Records missing because their retention ran out. */
  expired: number;
  findings: Finding[];
}

export interface VerifyReport {
  chains: ChainReport[];
  /** Every finding, the chains' own and those across chains (truncated, missing-chain). */
  findings: Finding[];
  /** With a path: how many of its records exist, in how many chains. */
  path?: { path: string; records: number };
  /** Set when the walk stopped early (signal): chains after the last reported were not read. */
  interrupted?: boolean;
}

export interface VerifyOptions {
  source: ChainSource;
  macs: MacProvider;
  now: Date;
  /** The deployment's VAULT_AUDIT_RETENTION_DAYS: how far back chains are looked for. */
  retentionDays: number;
  /** Only the chains holding this path's records. */
  path?: string;
  /** Only chains active since then, each from its last checkpoint before then. */
  since?: string;
  /**
   * Checkpoints younger than this are left for the next run: the chain index is eventually
   * consistent, and a record just before a fresh checkpoint may not be readable yet.
   */
  settleSeconds?: number;
  /** Called with the number of chains to walk, then once per chain verified (progress). */
  onChains?: (total: number) => void;
  onChain?: (report: ChainReport) => void;
  /** Stops before the next chain; the report then covers the chains walked so far. */
  signal?: AbortSignal;
}

const DAY_MS = 86_400_000;
const MAC_CONCURRENCY = 8;

/** Walks the chains and reports what changed, what is missing and what no checkpoint covers yet. */
export async function verifyTrail(options: VerifyOptions): Promise<VerifyReport> {
  const { source, now } = options;
  const since = options.since ?? new Date(now.getTime() - (options.retentionDays + 2) * DAY_MS).toISOString();
  let chains: string[];
  let path: VerifyReport['path'];
  if (options.path !== undefined) {
    const found = await source.chainsOfPath(options.path);
    chains = found.chains;
    path = { path: options.path, records: found.records };
  } else {
    chains = await source.chainsSince(since, now.toISOString());
  }
  const context: ChainContext = {
    macs: options.macs,
    nowSeconds: Math.floor(now.getTime() / 1000),
    settledBefore: new Date(now.getTime() - (options.settleSeconds ?? 10) * 1000).toISOString(),
    ...(options.since !== undefined && { anchorBefore: options.since }),
  };
  const reports: ChainReport[] = [];
  const witnessed = new Map<string, { n: number; expiresAt: number; by: string }>();
  const verifiedNumbers = new Map<string, Set<number>>();
  options.onChains?.(chains.length);
  for (const chain of [...chains].sort()) {
    if (options.signal?.aborted) break;
    const walked = await verifyChain(chain, source, context);
    reports.push(walked.report);
    verifiedNumbers.set(chain, walked.numbers);
    for (const [other, seen] of walked.witnessed) {
      if ((witnessed.get(other)?.n ?? -1) < seen.n) witnessed.set(other, seen);
    }
    options.onChain?.(walked.report);
  }
  const across: Finding[] = [];
  for (const [chain, seen] of [...witnessed].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (seen.expiresAt <= context.nowSeconds) continue;
    let present: boolean;
    let anyLeft: boolean;
    const numbers = verifiedNumbers.get(chain);
    if (numbers) {
      present = numbers.has(seen.n);
      anyLeft = numbers.size > 0;
    } else {
      // A chain this run did not walk: only the witnessed checkpoint needs its MAC checked.
      const checkpoints = await source.checkpoints(chain);
      const named = checkpoints.filter((c) => c.n === seen.n);
      // A start marker carries no MAC and proves only that the chain began.
      present = seen.n === 0 ? named.length > 0 : (await checkMacs(named, context.macs)).valid.length > 0;
      anyLeft = checkpoints.length > 0;
    }
    if (present) continue;
    across.push(
      !anyLeft
        ? {
            kind: 'missing-chain',
            chain,
            from: seen.n,
            to: seen.n,
            detail: `checkpoint ${seen.by} saw this chain at checkpoint ${seen.n}; none of its checkpoints is left`,
          }
        : {
            kind: 'truncated',
            chain,
            from: seen.n,
            to: seen.n,
            detail: `checkpoint ${seen.by} saw this chain's checkpoint ${seen.n}; it is gone (the chain was cut back)`,
          },
    );
  }
  return {
    chains: reports,
    findings: [...reports.flatMap((r) => r.findings), ...across],
    ...(path && { path }),
    ...(options.signal?.aborted && { interrupted: true }),
  };
}

interface ChainContext {
  macs: MacProvider;
  nowSeconds: number;
  /** Checkpoints made after this instant are not used yet. */
  settledBefore: string;
  /** With --since: start from the last verified checkpoint at or before this instant. */
  anchorBefore?: string;
}

async function verifyChain(
  chain: string,
  source: ChainSource,
  context: ChainContext,
): Promise<{
  report: ChainReport;
  numbers: Set<number>;
  witnessed: Map<string, { n: number; expiresAt: number; by: string }>;
}> {
  const findings: Finding[] = [];
  const all = (await source.checkpoints(chain))
    .filter((c) => c.time <= context.settledBefore)
    .sort((a, b) => a.n - b.n);
  const anchor = context.anchorBefore
    ? await lastValidBefore(
        all.filter((c) => c.n > 0 && c.time <= context.anchorBefore!),
        context.macs,
      )
    : undefined;
  const considered = all.filter((c) => c.n > 0 && c.n >= (anchor?.n ?? 1));
  const { valid, forged } = await checkMacs(considered, context.macs);
  for (const c of forged) {
    findings.push({
      kind: 'forged-checkpoint',
      chain,
      from: c.n,
      to: c.n,
      detail: `checkpoint ${c.n} (seq ${c.upto}) does not verify under the vault's MAC key`,
    });
  }
  const numbers = new Set(valid.map((c) => c.n));
  if (all.some((c) => c.n === 0)) numbers.add(0);
  // Before a --since anchor nothing is examined: what is there counts as there for witnesses.
  for (const c of all) if (anchor && c.n < anchor.n) numbers.add(c.n);

  // Checkpoint numbering: 1, 2, 3... A gap is a removed checkpoint unless its retention ran out.
  let previousNumber = anchor ? anchor.n : 0;
  const present = new Set(considered.map((c) => c.n));
  for (const c of valid) {
    if (c.n > previousNumber + 1) {
      const missing = [...range(previousNumber + 1, c.n - 1)].filter((n) => !present.has(n));
      if (missing.length > 0 && c.prevExpiresAt > context.nowSeconds) {
        findings.push({
          kind: 'removed-checkpoint',
          chain,
          from: missing[0]!,
          to: missing[missing.length - 1]!,
          detail: `checkpoint${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing before checkpoint ${c.n}`,
        });
      }
    }
    previousNumber = Math.max(previousNumber, c.n);
  }

  const byUpto = new Map<number, TrailCheckpoint[]>();
  for (const c of valid) byUpto.set(c.upto, [...(byUpto.get(c.upto) ?? []), c]);
  const failed = new Set(valid.flatMap((c) => c.failed));
  const coveredThrough = Math.max(anchor?.upto ?? 0, ...valid.map((c) => c.upto));
  const failedWrites: number[] = [];
  let expired = 0;

  /** Missing records from..to: expired, failed writes a checkpoint lists, or removed. */
  const missing = (from: number, to: number, latestExpiry: number) => {
    if (from > to) return;
    if (latestExpiry <= context.nowSeconds) {
      expired += to - from + 1;
      return;
    }
    let runStart: number | undefined;
    const flush = (end: number) => {
      if (runStart === undefined) return;
      findings.push({
        kind: 'removed',
        chain,
        from: runStart,
        to: end,
        detail:
          end === runStart
            ? `record ${runStart} is missing and no checkpoint lists it as a failed write`
            : `records ${runStart}-${end} are missing and no checkpoint lists them as failed writes`,
      });
      runStart = undefined;
    };
    for (let seq = from; seq <= to; seq++) {
      if (failed.has(seq)) {
        flush(seq - 1);
        failedWrites.push(seq);
      } else runStart ??= seq;
    }
    flush(to);
  };

  let previous = anchor ? { seq: anchor.upto, hash: anchor.head } : { seq: 0, hash: '' };
  /** The last checkpointed seq whose hash matched: where an "altered" range starts. */
  let lastVerifiedUpto = anchor?.upto ?? 0;
  let records = 0;
  let uncovered: ChainReport['uncovered'];
  for await (const record of source.records(chain, previous.seq)) {
    if (record.seq <= previous.seq) {
      findings.push({
        kind: 'altered',
        chain,
        from: record.seq,
        to: record.seq,
        detail: `more than one record claims seq ${record.seq}`,
      });
      continue;
    }
    const hash = recordHash(record);
    if (record.seq === previous.seq + 1) {
      // After an anchor, the first record must name the anchor's head, which the MAC pins down.
      if (record.prev !== previous.hash) {
        findings.push({
          kind: 'altered',
          chain,
          from: previous.seq,
          to: record.seq,
          detail: `record ${record.seq} does not name record ${previous.seq}'s hash: one of the two was changed`,
        });
      }
    } else {
      missing(previous.seq + 1, record.seq - 1, record.prevExpiresAt);
    }
    for (const checkpoint of byUpto.get(record.seq) ?? []) {
      if (checkpoint.head !== hash) {
        findings.push({
          kind: 'altered',
          chain,
          from: lastVerifiedUpto + 1,
          to: record.seq,
          detail: `checkpoint ${checkpoint.n} names another hash for record ${record.seq}: it, or a record since checkpointed seq ${lastVerifiedUpto}, was changed`,
        });
      } else lastVerifiedUpto = record.seq;
    }
    if (record.seq > coveredThrough) {
      uncovered = uncovered
        ? { ...uncovered, records: uncovered.records + 1, toSeq: record.seq }
        : { records: 1, fromSeq: record.seq, toSeq: record.seq, since: record.time };
    }
    records += 1;
    previous = { seq: record.seq, hash };
  }
  // Checkpointed records after the last one present: removed from the end of the covered part.
  if (coveredThrough > previous.seq) {
    const last = valid.find((c) => c.upto === coveredThrough);
    missing(previous.seq + 1, coveredThrough, last?.headExpiresAt ?? Number.MAX_SAFE_INTEGER);
  }

  const witnessed = new Map<string, { n: number; expiresAt: number; by: string }>();
  for (const c of valid) {
    for (const entry of c.witnessed) {
      const seen = parseWitnessEntry(entry);
      if (!seen || seen.chain === chain) continue;
      if ((witnessed.get(seen.chain)?.n ?? -1) < seen.n)
        witnessed.set(seen.chain, { n: seen.n, expiresAt: seen.expiresAt, by: `${chain}#${c.n}` });
    }
  }
  return {
    report: {
      chain,
      records,
      lastSeq: Math.max(previous.seq, coveredThrough),
      checkpoints: valid.length,
      coveredThrough,
      ...(uncovered && { uncovered }),
      failedWrites,
      expired,
      findings,
    },
    numbers,
    witnessed,
  };
}

async function lastValidBefore(
  checkpoints: TrailCheckpoint[],
  macs: MacProvider,
): Promise<TrailCheckpoint | undefined> {
  for (const checkpoint of [...checkpoints].reverse()) {
    if (await macMatches(checkpoint, macs)) return checkpoint;
  }
  return undefined;
}

async function checkMacs(
  checkpoints: TrailCheckpoint[],
  macs: MacProvider,
): Promise<{ valid: TrailCheckpoint[]; forged: TrailCheckpoint[] }> {
  const verdicts: boolean[] = new Array(checkpoints.length);
  let next = 0;
  const worker = async () => {
    while (next < checkpoints.length) {
      const index = next++;
      verdicts[index] = await macMatches(checkpoints[index]!, macs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAC_CONCURRENCY, checkpoints.length) }, worker));
  return {
    valid: checkpoints.filter((_, i) => verdicts[i]),
    forged: checkpoints.filter((_, i) => !verdicts[i]),
  };
}

async function macMatches(checkpoint: TrailCheckpoint, macs: MacProvider): Promise<boolean> {
  if (!checkpoint.mac) return false;
  const expected = await macs.mac(CHECKPOINT_PURPOSE, checkpointMessage(checkpoint));
  return expected.length === checkpoint.mac.length && timingSafeEqual(expected, checkpoint.mac);
}

function* range(from: number, to: number): Generator<number> {
  for (let i = from; i <= to; i++) yield i;
}

/**
 * The secret's own account of its changes (each retained version's writer and time, the last
 * lifecycle change) against its records on the trail: a change made without a record. Versions
 * older than the retention are skipped (TTL may have taken their records).
 */
export function unrecordedChanges(
  head: SecretHead,
  records: TrailRecord[],
  now: Date,
  retentionDays: number,
): Finding[] {
  const oldest = new Date(now.getTime() - retentionDays * DAY_MS).toISOString();
  const ok = records.filter((r) => r.decision === 'allow' && r.result === 'ok');
  const findings: Finding[] = [];
  for (const version of head.versions) {
    if (version.createdAt < oldest) continue;
    const written = ok.some(
      (r) => r.action === 'write' && r.principal === version.createdBy && r.versions.includes(version.version),
    );
    if (!written)
      findings.push({
        kind: 'unrecorded-change',
        chain: '',
        from: version.version,
        to: version.version,
        detail: `version ${version.version}, written by ${version.createdBy} at ${version.createdAt}, has no write record`,
      });
  }
  // Delete, undelete and destroy move updatedAt past the current version's write.
  if (head.updatedAt !== head.currentSince && head.updatedAt >= oldest) {
    const changed = ok.some(
      (r) =>
        (r.action === 'delete' || r.action === 'destroy') && r.principal === head.updatedBy && r.time >= head.updatedAt,
    );
    if (!changed)
      findings.push({
        kind: 'unrecorded-change',
        chain: '',
        from: head.version,
        to: head.version,
        detail: `the change ${head.updatedBy} made at ${head.updatedAt} (delete, undelete or destroy) has no record`,
      });
  }
  return findings;
}
