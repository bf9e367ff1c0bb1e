import type { ExchangeCheckNote, TrailCheckpoint, TrailRecord } from '../../core/ports';
import { CHAIN_SPREAD, PATH_SHARDS } from './audit-table';
import type { Item } from './item-codec';

/**
 * Items of the trail's table. Records: `pk = <path>#<shard>`, `sk = <time>#<chain>#<seq>`, so one
 * path's history reads in time order from its shards; `cs = <chain>#<seq mod 4>` and `seq` place
 * it in the chain index. Checkpoints: `pk = ~cp#<day>`, `sk = <time>#<chain>#<n>` (what a new
 * checkpoint witnesses, and how verify finds the chains), `cs = <chain>#cp`. A path never starts
 * with `~`, so the two never share a partition. Short attribute names: every byte of every
 * record is paid for, and a record stays under 1 KB (one write unit) for ordinary paths.
 */
export const CHECKPOINT_PARTITION = '~cp#';
const CHECKPOINT_INDEX_SUFFIX = '#cp';

export const recordPartition = (path: string, shard: number) => `${path}#${shard}`;
export const checkpointPartition = (time: string) => `${CHECKPOINT_PARTITION}${time.slice(0, 10)}`;
export const chainRecordPartition = (chain: string, part: number) => `${chain}#${part}`;
export const chainCheckpointPartition = (chain: string) => `${chain}${CHECKPOINT_INDEX_SUFFIX}`;
const pad = (n: number, width: number) => String(n).padStart(width, '0');

const optional = (name: string, value: string | undefined): Item => (value ? { [name]: { S: value } } : {});

export function fromRecord(record: TrailRecord): Item {
  return {
    pk: { S: recordPartition(record.path, Math.floor(Math.random() * PATH_SHARDS)) },
    sk: { S: `${record.time}#${record.chain}#${pad(record.seq, 12)}` },
    cs: { S: chainRecordPartition(record.chain, record.seq % CHAIN_SPREAD) },
    seq: { N: String(record.seq) },
    who: { S: record.principal },
    act: { S: record.action },
    dec: { S: record.decision },
    why: { S: record.reason },
    res: { S: record.result },
    rid: { S: record.requestId },
    ...optional('ver', record.versions.join(',')),
    ...optional('gid', record.gatewayRequestId),
    ...optional('pur', record.purpose),
    ...optional('xc', record.exchangeCheck && JSON.stringify(record.exchangeCheck)),
    ...optional('prev', record.prev),
    pexp: { N: String(record.prevExpiresAt) },
    exp: { N: String(record.expiresAt) },
  };
}

/**
 * Reads a record as stored, without judging it: a missing or malformed attribute reads as
 * empty, and then its hash no longer matches, which is how verify reports it.
 */
export function toRecord(item: Item): TrailRecord {
  const pk = item.pk?.S ?? '';
  const sk = item.sk?.S ?? '';
  const cs = item.cs?.S ?? '';
  const record: TrailRecord = {
    path: pk.slice(0, Math.max(0, pk.lastIndexOf('#'))),
    time: sk.split('#')[0] ?? '',
    chain: cs.slice(0, Math.max(0, cs.lastIndexOf('#'))),
    seq: Number(item.seq?.N ?? 0),
    principal: item.who?.S ?? '',
    action: item.act?.S ?? '',
    // As stored, even if it is neither word: the hash then tells.
    decision: (item.dec?.S ?? '') as TrailRecord['decision'],
    reason: item.why?.S ?? '',
    result: item.res?.S ?? '',
    requestId: item.rid?.S ?? '',
    versions: item.ver?.S ? item.ver.S.split(',').map(Number) : [],
    prev: item.prev?.S ?? '',
    prevExpiresAt: Number(item.pexp?.N ?? 0),
    expiresAt: Number(item.exp?.N ?? 0),
  };
  if (item.gid?.S) record.gatewayRequestId = item.gid.S;
  if (item.pur?.S) record.purpose = item.pur.S;
  if (item.xc?.S) record.exchangeCheck = readCheck(item.xc.S);
  return record;
}

/**
 * Only the fields the hash covers, whatever else the stored JSON holds: what the owner's view
 * shows is exactly what verify checks. Unreadable JSON becomes a note no writer produces.
 */
function readCheck(text: string): ExchangeCheckNote {
  let value: Partial<Record<keyof ExchangeCheckNote, unknown>>;
  try {
    value = JSON.parse(text) ?? {};
  } catch {
    value = {};
  }
  const flag = (v: unknown) => (typeof v === 'boolean' ? v : null);
  return {
    exchange: typeof value.exchange === 'string' ? value.exchange : '(unreadable)',
    checked: value.checked === true,
    canTrade: flag(value.canTrade),
    canTradeDerivatives: flag(value.canTradeDerivatives),
    canWithdraw: flag(value.canWithdraw),
    canTransfer: flag(value.canTransfer),
    ipRestricted: flag(value.ipRestricted),
    flagged: Array.isArray(value.flagged) ? value.flagged.map(String) : ['(unreadable)'],
  };
}

export function fromCheckpoint(checkpoint: TrailCheckpoint): Item {
  const item: Item = {
    pk: { S: checkpointPartition(checkpoint.time) },
    sk: { S: `${checkpoint.time}#${checkpoint.chain}#${pad(checkpoint.n, 10)}` },
    cs: { S: chainCheckpointPartition(checkpoint.chain) },
    seq: { N: String(checkpoint.n) },
    upto: { N: String(checkpoint.upto) },
    ...optional('head', checkpoint.head),
    hexp: { N: String(checkpoint.headExpiresAt) },
    ...optional('fail', checkpoint.failed.join(',')),
    ...optional('wit', checkpoint.witnessed.join(',')),
    exp: { N: String(checkpoint.expiresAt) },
    pexp: { N: String(checkpoint.prevExpiresAt) },
  };
  if (checkpoint.mac) item.mac = { B: checkpoint.mac };
  return item;
}

export function toCheckpoint(item: Item): TrailCheckpoint {
  const cs = item.cs?.S ?? '';
  const checkpoint: TrailCheckpoint = {
    chain: cs.endsWith(CHECKPOINT_INDEX_SUFFIX) ? cs.slice(0, -CHECKPOINT_INDEX_SUFFIX.length) : cs,
    n: Number(item.seq?.N ?? 0),
    time: (item.sk?.S ?? '').split('#')[0] ?? '',
    upto: Number(item.upto?.N ?? 0),
    head: item.head?.S ?? '',
    headExpiresAt: Number(item.hexp?.N ?? 0),
    failed: item.fail?.S ? item.fail.S.split(',').map(Number) : [],
    witnessed: item.wit?.S ? item.wit.S.split(',') : [],
    expiresAt: Number(item.exp?.N ?? 0),
    prevExpiresAt: Number(item.pexp?.N ?? 0),
  };
  if (item.mac?.B) checkpoint.mac = Buffer.from(item.mac.B);
  return checkpoint;
}

/** Chain and number of a checkpoint from its sort key alone (the witness query reads keys only). */
export function checkpointKey(sk: string): { chain: string; n: number } | undefined {
  const match = /^[^#]+#([A-Za-z0-9_-]+)#(\d{10})$/.exec(sk);
  return match ? { chain: match[1]!, n: Number(match[2]) } : undefined;
}
