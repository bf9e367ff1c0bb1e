import type { SecretMetadata } from '../../core/ports';
import type { MutationResult, ReadResult, RecheckResult, RewrapResult } from '../../core/vault';
import type { MetadataView, MutationView, RecheckView, RewrapView, SecretView } from './view-types';

export type { ListView, MetadataView, MutationView, RecheckView, RewrapView, SecretView } from './view-types';

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

export function recheckView(result: RecheckResult): RecheckView {
  return { ...mutationView(result), check: result.check, flagged: result.flagged };
}

// The core's records are the views' shapes (rev and the envelope aside); these fail to compile
// when one drifts from the other.
const sameAs = <View>(value: View) => value;
export const secretView = (result: ReadResult): SecretView => sameAs<SecretView>(result);
export const rewrapView = (result: RewrapResult): RewrapView => sameAs<RewrapView>(result);
