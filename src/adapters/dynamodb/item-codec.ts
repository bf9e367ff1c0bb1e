import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import type { Envelope, SecretHead, VersionSummary } from '../../core/ports';
import { LIST_PARTITION } from './table';

/**
 * Items as stored. The attribute names are short (`ver`, `cAt`, `uBy`, `vers`...) because every
 * byte of every item is paid for in storage and read units, and because they are data on disk:
 * renaming one would orphan every item written before.
 */
export type Item = Record<string, AttributeValue>;

export const HEAD = 'HEAD';
export const versionKey = (version: number) => `V#${String(version).padStart(10, '0')}`;

const summarySchema = z.array(
  z.object({
    version: z.number().int(),
    createdAt: z.string(),
    createdBy: z.string(),
    state: z.enum(['active', 'deleted', 'destroyed']),
    kid: z.string().optional(),
  }),
);

export function key(path: string, sk: string): Item {
  return { pk: { S: path }, sk: { S: sk } };
}

export function fromEnvelope(envelope: Envelope): Item {
  return {
    alg: { S: envelope.alg },
    iv: { B: envelope.iv },
    ct: { B: envelope.ct },
    edk: { B: envelope.edk },
    kid: { S: envelope.kid },
  };
}

export function toEnvelope(item: Item): Envelope {
  return {
    alg: item.alg!.S!,
    iv: Buffer.from(item.iv!.B!),
    ct: Buffer.from(item.ct!.B!),
    edk: Buffer.from(item.edk!.B!),
    kid: item.kid!.S!,
  };
}

export function fromHead(head: SecretHead): Item {
  const item: Item = {
    ...key(head.path, HEAD),
    ver: { N: String(head.version) },
    rev: { N: String(head.rev) },
    labels: { M: Object.fromEntries(Object.entries(head.labels).map(([k, v]) => [k, { S: v }])) },
    cAt: { S: head.createdAt },
    cBy: { S: head.createdBy },
    uAt: { S: head.updatedAt },
    uBy: { S: head.updatedBy },
    since: { S: head.currentSince },
    vers: { S: JSON.stringify(head.versions) },
    // Index keys: only HEAD items carry them, so both indexes stay sparse.
    lst: { S: LIST_PARTITION },
    due: { S: head.rotationDueAt },
  };
  if (head.rotationDays !== undefined) item.rotDays = { N: String(head.rotationDays) };
  if (head.envelope) Object.assign(item, fromEnvelope(head.envelope));
  return item;
}

export function toHead(item: Item): SecretHead {
  const head: SecretHead = {
    path: item.pk!.S!,
    version: Number(item.ver!.N),
    rev: Number(item.rev!.N),
    labels: Object.fromEntries(Object.entries(item.labels?.M ?? {}).map(([k, v]) => [k, v.S ?? ''])),
    createdAt: item.cAt!.S!,
    createdBy: item.cBy!.S!,
    updatedAt: item.uAt!.S!,
    updatedBy: item.uBy!.S!,
    currentSince: item.since!.S!,
    rotationDueAt: item.due!.S!,
    versions: summarySchema.parse(JSON.parse(item.vers!.S!)) as VersionSummary[],
  };
  if (item.rotDays?.N) head.rotationDays = Number(item.rotDays.N);
  if (item.ct) head.envelope = toEnvelope(item);
  return head;
}
