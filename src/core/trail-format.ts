import { createHash } from 'node:crypto';
import type { ExchangeCheckNote, TrailCheckpoint, TrailRecord } from './ports';

/** Format ids bound into every hash and MAC: a record can never pass for a checkpoint, nor either for a later format. */
const RECORD_FORMAT = 'kms-vault.trail.record.1';
const CHECKPOINT_FORMAT = 'kms-vault.trail.checkpoint.1';
/** MacProvider purpose of checkpoints: a MAC made for the blind index can never stand for one. */
export const CHECKPOINT_PURPOSE = 'audit-checkpoint';

/** An exchange-check note with its fields in one fixed order, so it hashes the same after any round trip. */
function canonicalCheck(note: ExchangeCheckNote | undefined): unknown[] | null {
  if (!note) return null;
  return [
    note.exchange,
    note.checked,
    note.canTrade ?? null,
    note.canTradeDerivatives ?? null,
    note.canWithdraw ?? null,
    note.canTransfer ?? null,
    note.ipRestricted ?? null,
    note.flagged,
  ];
}

/**
 * The hash that links a record to the next one of its chain: SHA-256 over every field, in a
 * fixed order, as JSON (strings, numbers, arrays: one encoding each). It is unkeyed on purpose:
 * anyone may recompute it, which is what lets `verify` run without the MAC key for the links;
 * what an attacker could recompute, a checkpoint's MAC pins down.
 */
export function recordHash(record: TrailRecord): string {
  const fields = [
    RECORD_FORMAT,
    record.chain,
    record.seq,
    record.time,
    record.expiresAt,
    record.prevExpiresAt,
    record.prev,
    record.path,
    record.principal,
    record.action,
    record.versions,
    record.decision,
    record.reason,
    record.result,
    record.requestId,
    record.gatewayRequestId ?? null,
    record.purpose ?? null,
    canonicalCheck(record.exchangeCheck),
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('base64url');
}

/**
 * What a checkpoint's MAC covers: everything but the MAC. The witnessed list goes in as a digest
 * (it can be long; KMS GenerateMac takes at most 4 KiB).
 */
export function checkpointMessage(checkpoint: TrailCheckpoint): Buffer {
  const witnessed = createHash('sha256').update(JSON.stringify(checkpoint.witnessed)).digest('base64url');
  return Buffer.from(
    JSON.stringify([
      CHECKPOINT_FORMAT,
      checkpoint.chain,
      checkpoint.n,
      checkpoint.time,
      checkpoint.upto,
      checkpoint.head,
      checkpoint.headExpiresAt,
      checkpoint.failed,
      witnessed,
      checkpoint.expiresAt,
      checkpoint.prevExpiresAt,
    ]),
    'utf8',
  );
}

/** `chain:n:expiresAt`, as a checkpoint names another chain's checkpoint it saw. */
export function witnessEntry(chain: string, n: number, expiresAt: number): string {
  return `${chain}:${n}:${expiresAt}`;
}

export function parseWitnessEntry(entry: string): { chain: string; n: number; expiresAt: number } | undefined {
  const match = /^([A-Za-z0-9_-]{1,64}):(\d{1,10}):(\d{1,12})$/.exec(entry);
  return match ? { chain: match[1]!, n: Number(match[2]), expiresAt: Number(match[3]) } : undefined;
}
