import type { Exchange, PermissionCheck } from '../../core/exchange-keys';
import type { AccessSummary, ExchangeCheckNote, SecretMetadata, TrailRecord, VersionSummary } from '../../core/ports';
import type {
  HistoryResult,
  MutationResult,
  ReadResult,
  RecheckResult,
  RewrapResult,
  SecretDescription,
} from '../../core/vault';

/** What callers see of a secret's metadata (describe, list, write responses); `rev` stays internal. */
export interface MetadataView {
  path: string;
  version: number;
  labels: Record<string, string>;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  currentSince: string;
  rotationDays?: number;
  rotationDueAt: string;
  versions: VersionSummary[];
  /** Exchange keys: `exchange-api-key`. */
  kind?: 'exchange-api-key';
  exchange?: Exchange;
  /** First and last characters of the apiKey; never the secret or the passphrase. */
  apiKeyHint?: string;
  /** The latest permission check, or null when checks are off. */
  check?: PermissionCheck | null;
  /** Why the latest re-check flagged the key. */
  flagged?: string[];
}

/**
 * What a write or lifecycle change answers: the full metadata to a caller who may describe the
 * secret, only the path and current version to one who may not.
 */
export type MutationView = MetadataView | { path: string; version: number };

export function mutationView(result: MutationResult): MutationView {
  return result.metadata ? metadataView(result.metadata) : { path: result.path, version: result.version };
}

/** `GET /v1/secrets/{path}`. */
export type SecretView = ReadResult;

/** `GET /v1/metadata`. */
export interface ListView {
  items: MetadataView[];
  /** Absent on the last page. */
  cursor?: string;
}

/** `POST /v1/rewrap/{path}`. */
export type RewrapView = RewrapResult;

export function metadataView(meta: SecretMetadata): MetadataView {
  return {
    path: meta.path,
    version: meta.version,
    labels: meta.labels,
    createdAt: meta.createdAt,
    createdBy: meta.createdBy,
    updatedAt: meta.updatedAt,
    updatedBy: meta.updatedBy,
    currentSince: meta.currentSince,
    ...(meta.rotationDays !== undefined && { rotationDays: meta.rotationDays }),
    rotationDueAt: meta.rotationDueAt,
    versions: meta.versions,
    ...(meta.exchangeKey && {
      kind: meta.exchangeKey.kind,
      exchange: meta.exchangeKey.exchange,
      apiKeyHint: meta.exchangeKey.apiKeyHint,
      check: meta.exchangeKey.check,
      ...(meta.exchangeKey.flagged && { flagged: meta.exchangeKey.flagged }),
    }),
  };
}

/** `POST /v1/exchange-check/{path}`: the check and flags, plus metadata for a caller who may describe. */
export type RecheckView = MutationView & { check: PermissionCheck | null; flagged: string[] };

export function recheckView(result: RecheckResult): RecheckView {
  return { ...mutationView(result), check: result.check, flagged: result.flagged };
}

/** `GET /v1/metadata/{path}`: the metadata, and for a caller who may also audit, recent reads. */
export type DescriptionView = MetadataView & { access?: AccessSummary };

export function descriptionView(description: SecretDescription): DescriptionView {
  const view: DescriptionView = metadataView(description);
  if (description.access) view.access = description.access;
  return view;
}

/** One access record as its owner sees it: no hash links, no expiry (those are for `audit verify`). */
export interface AccessRecordView {
  time: string;
  principal: string;
  action: string;
  versions: number[];
  decision: 'allow' | 'deny';
  reason: string;
  result: string;
  requestId: string;
  gatewayRequestId?: string;
  purpose?: string;
  exchangeCheck?: ExchangeCheckNote;
  /** Where `audit verify` finds it: the writing process's chain, and its place there. */
  chain: string;
  seq: number;
}

/** `GET /v1/audit/{path}`. */
export interface HistoryView {
  items: AccessRecordView[];
  /** Absent on the last page. */
  cursor?: string;
}

export function historyView(result: HistoryResult): HistoryView {
  const item = (r: TrailRecord): AccessRecordView => ({
    time: r.time,
    principal: r.principal,
    action: r.action,
    versions: r.versions,
    decision: r.decision,
    reason: r.reason,
    result: r.result,
    requestId: r.requestId,
    ...(r.gatewayRequestId !== undefined && { gatewayRequestId: r.gatewayRequestId }),
    ...(r.purpose !== undefined && { purpose: r.purpose }),
    ...(r.exchangeCheck && { exchangeCheck: r.exchangeCheck }),
    chain: r.chain,
    seq: r.seq,
  });
  return { items: result.items.map(item), ...(result.cursor !== undefined && { cursor: result.cursor }) };
}
