import { createHash } from 'node:crypto';
import { decryptWithKey, encodeContext, encryptWithKey, IV_BYTES, TAG_BYTES } from './envelope';
import { DependencyError, ValidationError } from './errors';
import type { Clock, EncryptionContext, KeyProvider } from './ports';

/** Format id bound into every cursor's AAD; unknown versions are refused. */
const CURSOR_FORMAT = 'CURSOR.A256GCM.1';
const TOKEN_VERSION = 1;
/**
 * The KMS context of a cursor key. It names a purpose, not a path: a cursor key seals listing
 * positions only, never a secret, and the key policy admits `kms-vault:purpose` for that.
 */
export const CURSOR_KEY_CONTEXT: EncryptionContext = { 'kms-vault:purpose': 'list-cursor' };
/** How long a cursor is accepted after it was issued. */
export const CURSOR_TTL_SECONDS = 3600;
/** How long one process seals with the same data key before asking for a new one. */
const KEY_LIFETIME_MS = 3600_000;

/** What a cursor says: where to resume. Everything it is bound to goes in the AAD instead. */
export interface CursorPosition {
  /** Index of the visible range to resume in. */
  range: number;
  /** The store's own cursor within that range, if any. */
  store?: string;
}

interface OwnKey {
  plaintext: Buffer;
  wrapped: Buffer;
  keyId: string;
  createdAt: number;
}

const invalid = () => new ValidationError('invalid cursor');

/**
 * Seals listing cursors so only the vault can read or make them: AES-256-GCM under a data key
 * from the key provider, with the principal and the exact query as AAD. A cursor changed in
 * any bit, replayed by another principal or on another query, or older than its TTL does not
 * open, and is refused before any store call.
 *
 * Each process seals with one data key for an hour (one GenerateDataKey) and carries the
 * wrapped key in the token, so any instance of the deployment opens it: its own keys from
 * memory, another instance's with one Decrypt that the data-key cache then absorbs.
 */
export class CursorSealer {
  private readonly own = new Map<string, OwnKey>();
  private current: OwnKey | undefined;
  private pending: Promise<OwnKey> | undefined;

  constructor(
    private readonly keys: KeyProvider,
    private readonly clock: Clock,
  ) {}

  async seal(position: CursorPosition, binding: Record<string, string>): Promise<string> {
    const key = await this.sealingKey();
    const now = this.clock.now().getTime();
    const payload = Buffer.from(JSON.stringify({ e: Math.floor(now / 1000) + CURSOR_TTL_SECONDS, ...position }));
    const { iv, ct } = encryptWithKey(key.plaintext, payload, aad(binding, key.keyId, key.wrapped));
    const kid = Buffer.from(key.keyId, 'utf8');
    const edkLength = Buffer.alloc(2);
    edkLength.writeUInt16BE(key.wrapped.length);
    return Buffer.concat([Buffer.from([TOKEN_VERSION, kid.length]), kid, edkLength, key.wrapped, iv, ct]).toString(
      'base64url',
    );
  }

  /** The position in `token`, or ValidationError("invalid cursor"); a key-service outage stays a 503. */
  async open(token: string, binding: Record<string, string>): Promise<CursorPosition> {
    const parts = parse(token);
    if (!parts) throw invalid();
    let key: Buffer;
    const own = this.own.get(parts.edk.toString('base64'));
    const mine = own?.keyId === parts.kid ? own : undefined;
    try {
      key = mine
        ? Buffer.from(mine.plaintext)
        : await this.keys.decryptDataKey(parts.edk, parts.kid, CURSOR_KEY_CONTEXT);
    } catch (error) {
      if (error instanceof DependencyError) throw error;
      throw invalid();
    }
    let payload: Buffer;
    try {
      payload = decryptWithKey(key, parts.iv, parts.ct, aad(binding, parts.kid, parts.edk));
    } catch {
      throw invalid();
    } finally {
      key.fill(0);
    }
    const position = readPayload(payload);
    if (!position || position.e * 1000 <= this.clock.now().getTime()) throw invalid();
    return position.store === undefined ? { range: position.range } : { range: position.range, store: position.store };
  }

  private async sealingKey(): Promise<OwnKey> {
    const now = this.clock.now().getTime();
    if (this.current && now - this.current.createdAt < KEY_LIFETIME_MS) return this.current;
    this.pending ??= this.keys
      .generateDataKey(CURSOR_KEY_CONTEXT)
      .then((dataKey) => {
        const key: OwnKey = { ...dataKey, createdAt: this.clock.now().getTime() };
        // Keys this process made stay openable (from memory) for as long as their cursors live.
        for (const [id, old] of this.own) {
          if (now - old.createdAt > KEY_LIFETIME_MS + CURSOR_TTL_SECONDS * 1000) {
            old.plaintext.fill(0);
            this.own.delete(id);
          }
        }
        this.own.set(key.wrapped.toString('base64'), key);
        this.current = key;
        return key;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}

/**
 * The AAD: the binding and the token's own key fields, canonically encoded (length-prefixed),
 * so no byte of the token outside the ciphertext can change either.
 */
function aad(binding: Record<string, string>, kid: string, edk: Buffer): Buffer {
  return encodeContext({ ...binding, '~kid': kid, '~edk': edk.toString('base64') }, CURSOR_FORMAT);
}

function parse(token: string): { kid: string; edk: Buffer; iv: Buffer; ct: Buffer } | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length < 4 || bytes[0] !== TOKEN_VERSION) return undefined;
  const kidEnd = 2 + bytes[1]!;
  if (bytes.length < kidEnd + 2) return undefined;
  const edkEnd = kidEnd + 2 + bytes.readUInt16BE(kidEnd);
  if (bytes.length < edkEnd + IV_BYTES + TAG_BYTES) return undefined;
  return {
    kid: bytes.subarray(2, kidEnd).toString('utf8'),
    edk: Buffer.from(bytes.subarray(kidEnd + 2, edkEnd)),
    iv: bytes.subarray(edkEnd, edkEnd + IV_BYTES),
    ct: bytes.subarray(edkEnd + IV_BYTES),
  };
}

function readPayload(payload: Buffer): { e: number; range: number; store?: string } | undefined {
  try {
    const value = JSON.parse(payload.toString('utf8')) as { e?: unknown; range?: unknown; store?: unknown };
    if (typeof value.e !== 'number' || !Number.isInteger(value.range) || (value.range as number) < 0) return undefined;
    if (value.store !== undefined && typeof value.store !== 'string') return undefined;
    return value as { e: number; range: number; store?: string };
  } catch {
    return undefined;
  } finally {
    payload.fill(0);
  }
}

/** A short, stable fingerprint of what a cursor must be bound to beyond its fields (the visible ranges). */
export function fingerprint(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}
