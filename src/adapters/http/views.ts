import type { SecretMetadata } from '../../core/ports';
import type { MutationResult, ReadResult, RewrapResult } from '../../core/vault';
import type { MetadataView, MutationView, RewrapView, SecretView } from './view-types';

export type { ListView, MetadataView, MutationView, RewrapView, SecretView } from './view-types';

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
  };
}

// The core's records are the views' shapes (rev and the envelope aside); these fail to compile
// when one drifts from the other.
const sameAs = <View>(value: View) => value;
export const secretView = (result: ReadResult): SecretView => sameAs<SecretView>(result);
export const rewrapView = (result: RewrapResult): RewrapView => sameAs<RewrapView>(result);
