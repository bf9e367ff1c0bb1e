import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import { EXCHANGES } from '../../core/exchange-keys';
import type { Envelope, ExchangeKeyFacts, SecretHead, VersionSummary } from '../../core/ports';
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
    version: z.int(),
    createdAt: z.string(),
    createdBy: z.string(),
    state: z.enum(['active', 'deleted', 'destroyed']),
    kid: z.optional(z.string()),
  }),
);

const flag = z.nullable(z.boolean());
/** What a stored exchange-key HEAD says of itself; checked on the way in like the version summary. */
const exchangeKeySchema = z.object({
  kind: z.literal('exchange-api-key'),
  exchange: z.enum(EXCHANGES),
  apiKeyHint: z.string(),
  check: z.nullable(
    z.object({
      exchange: z.enum(EXCHANGES),
      checkedAt: z.string(),
      canTrade: flag,
      canTradeDerivatives: flag,
      canWithdraw: flag,
      canTransfer: flag,
      readOnly: flag,
      ipRestricted: flag,
      ipWhitelist: z.optional(z.array(z.string())),
      expiresAt: z.nullable(z.string()),
      expiryKind: z.optional(z.enum(['reported', 'no-ip-binding'])),
      keyCreatedAt: z.optional(z.string()),
      warnings: z.array(z.string()),
    }),
  ),
  flagged: z.optional(z.array(z.string())),
});

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
  if (head.exchangeKey) item.xk = { S: JSON.stringify(head.exchangeKey) };
  // A filter attribute for "flagged only" listings, present only while a re-check flags the key.
  if (head.exchangeKey?.flagged?.length) item.flag = { S: head.exchangeKey.flagged.join(',') };
  // The key index is a sparse index key: only exchange-key HEADs carry it.
  if (head.keyIndex) item.bidx = { S: head.keyIndex };
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
  if (item.xk?.S) head.exchangeKey = exchangeKeySchema.parse(JSON.parse(item.xk.S)) as ExchangeKeyFacts;
  if (item.bidx?.S) head.keyIndex = item.bidx.S;
  if (item.ct) head.envelope = toEnvelope(item);
  return head;
}
