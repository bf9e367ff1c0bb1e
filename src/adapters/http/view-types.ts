/**
 * What the API answers, as TypeScript types with no imports: the typed client's public types
 * (`kms-vault/client`), so a package that uses them needs nothing of the server's. views.ts
 * builds these from the core's records; view-schemas.ts describes them for the OpenAPI
 * document, and fails to compile when the two disagree.
 */

/** One retained version. */
export interface VersionSummaryView {
  version: number;
  createdAt: string;
  createdBy: string;
  state: 'active' | 'deleted' | 'destroyed';
  /** The key that wraps its data key (absent once destroyed). */
  kid?: string;
}

/** What callers see of a secret's metadata (describe, list, write responses). */
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
  versions: VersionSummaryView[];
  /** Exchange keys only: `exchange-api-key`. */
  kind?: 'exchange-api-key';
  exchange?: ExchangeView;
  /** The apiKey's first and last characters, the rest masked; never the secret or passphrase. */
  apiKeyHint?: string;
  /** What the exchange said at ingest or the latest re-check; null when checks are off. */
  check?: PermissionCheckView | null;
  /** Why the latest re-check flagged the key (e.g. withdraw_enabled). */
  flagged?: string[];
}

export type ExchangeView = 'binance' | 'okx' | 'bybit' | 'bitget' | 'gate' | 'bingx' | 'kucoin';

/** What an exchange said a key may do; each flag true, false, or null when it does not say. */
export interface PermissionCheckView {
  exchange: ExchangeView;
  checkedAt: string;
  canTrade: boolean | null;
  canTradeDerivatives: boolean | null;
  canWithdraw: boolean | null;
  canTransfer: boolean | null;
  readOnly: boolean | null;
  ipRestricted: boolean | null;
  ipWhitelist?: string[];
  /** When the key (or its trading permission) stops working, if known. */
  expiresAt: string | null;
  expiryKind?: 'reported' | 'no-ip-binding';
  keyCreatedAt?: string;
  /** e.g. inactivity_expiry_14d */
  warnings: string[];
}

/** Recent reads of a secret, from its access trail (describe, for a caller who may also audit). */
export interface AccessSummaryView {
  /** Time and principal of the latest successful read among the records examined; absent if none. */
  lastReadAt?: string;
  lastReadBy?: string;
  /** Successful reads in the 24 hours before the describe. */
  readsLast24h: number;
  /** True when the count reached the bound: at least this many. */
  readsLast24hCapped: boolean;
}

/** `GET /v1/metadata/{path}`: the metadata, and for a caller who may also audit, recent reads. */
export type DescriptionView = MetadataView & { access?: AccessSummaryView };

/** What an exchange check said, as the access trail records it: flags only, never an answer. */
export interface ExchangeCheckNoteView {
  exchange: string;
  /** False when the key was stored unchecked (exchange checks off). */
  checked: boolean;
  canTrade?: boolean | null;
  canTradeDerivatives?: boolean | null;
  canWithdraw?: boolean | null;
  canTransfer?: boolean | null;
  ipRestricted?: boolean | null;
  /** Why the key was refused or flagged; empty when it passed. */
  flagged: string[];
}

/** One access record as its owner sees it: no hash links, no expiry (those are for `audit verify`). */
export interface AccessRecordView {
  time: string;
  principal: string;
  action: string;
  versions: number[];
  decision: 'allow' | 'deny';
  reason: string;
  /** `ok`, or the error code the request ended with. */
  result: string;
  requestId: string;
  gatewayRequestId?: string;
  purpose?: string;
  exchangeCheck?: ExchangeCheckNoteView;
  /** Where `audit verify` finds it: the writing process's chain, and its place there. */
  chain: string;
  seq: number;
}

/** `GET /v1/audit/{path}`: newest first. */
export interface HistoryView {
  items: AccessRecordView[];
  /** Absent on the last page. */
  cursor?: string;
}

/** `POST /v1/exchange-check/{path}`: the check and why it is flagged (empty: it passed). */
export type RecheckView = MutationView & { check: PermissionCheckView | null; flagged: string[] };

/**
 * What a write or lifecycle change answers: the full metadata to a caller who may describe the
 * secret, only the path and current version to one who may not.
 */
export type MutationView = MetadataView | { path: string; version: number };

/** A secret's value: a string or a JSON object, as it was written. */
export type SecretValueView = string | Record<string, unknown>;

/** `GET /v1/secrets/{path}`. */
export interface SecretView {
  path: string;
  version: number;
  value: SecretValueView;
  createdAt: string;
  createdBy: string;
}

/** `GET /v1/metadata`. */
export interface ListView {
  items: MetadataView[];
  /** Absent on the last page. */
  cursor?: string;
}

/** `POST /v1/rewrap/{path}`. */
export interface RewrapView {
  path: string;
  rewrapped: number[];
  skipped: number[];
  keyId: string;
}
