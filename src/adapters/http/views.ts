import type { SecretMetadata, TrailRecord } from '../../core/ports';
import type {
  HistoryResult,
  MutationResult,
  ReadResult,
  RecheckResult,
  RewrapResult,
  SecretDescription,
} from '../../core/vault';
import type {
  AccessRecordView,
  DescriptionView,
  HistoryView,
  MetadataView,
  MutationView,
  RecheckView,
  RewrapView,
  SecretView,
} from './view-types';

export type {
  AccessRecordView,
  DescriptionView,
  HistoryView,
  ListView,
  MetadataView,
  MutationView,
  RecheckView,
  RewrapView,
  SecretView,
} from './view-types';

export function mutationView(result: MutationResult): MutationView {
  return result.metadata ? metadataView(result.metadata) : { path: result.path, version: result.version };
}

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

export function descriptionView(description: SecretDescription): DescriptionView {
  const view: DescriptionView = metadataView(description);
  if (description.access) view.access = description.access;
  return view;
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

export function recheckView(result: RecheckResult): RecheckView {
  return { ...mutationView(result), check: result.check, flagged: result.flagged };
}

// The core's records are the views' shapes (rev and the envelope aside); these fail to compile
// when one drifts from the other.
const sameAs = <View>(value: View) => value;
export const secretView = (result: ReadResult): SecretView => sameAs<SecretView>(result);
export const rewrapView = (result: RewrapResult): RewrapView => sameAs<RewrapView>(result);
