import type { Exchange, PermissionCheck } from '../../core/exchange-keys';
import type { SecretMetadata, VersionSummary } from '../../core/ports';
import type { MutationResult, ReadResult, RecheckResult, RewrapResult } from '../../core/vault';

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
