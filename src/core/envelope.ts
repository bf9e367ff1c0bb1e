import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { IntegrityError, ValidationError } from './errors';
import type { EncryptionContext, Envelope, KeyProvider } from './ports';

/** Format id of every envelope this code writes. Unknown ids are refused, never guessed. */
export const FORMAT_ID = 'A256GCM.KMS.1';
export const KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;

/**
 * The context that binds a ciphertext to its place. It goes to KMS (which logs it in
 * CloudTrail, so it holds no secret) and, canonically encoded, into the GCM AAD: a record
 * copied to another path or version fails at KMS and at GCM.
 */
export function contextFor(path: string, version: number): EncryptionContext {
  return { 'kms-vault:path': path, 'kms-vault:version': String(version) };
}

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/**
 * Canonical AAD: the format id, the number of pairs, then each key and value length-prefixed
 * in byte order of the keys. Length prefixes make {a:"bc"} and {ab:"c"} encode differently;
 * binding the format id stops an envelope being read under another format's rules.
 */
export function encodeContext(context: EncryptionContext, alg: string = FORMAT_ID): Buffer {
  const keys = Object.keys(context).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const count = Buffer.alloc(4);
  count.writeUInt32BE(keys.length);
  const parts = [lengthPrefixed(alg), count];
  for (const key of keys) parts.push(lengthPrefixed(key), lengthPrefixed(context[key]!));
  return Buffer.concat(parts);
}

/** AES-256-GCM with a fresh random 96-bit IV; returns iv and ciphertext||tag. */
export function encryptWithKey(key: Buffer, plaintext: Buffer, aad: Buffer): { iv: Buffer; ct: Buffer } {
  if (key.length !== KEY_BYTES) throw new ValidationError('data key must be 32 bytes');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ct: Buffer.concat([body, cipher.getAuthTag()]) };
}

/**
 * Verifies and decrypts ciphertext||tag. Only 256-bit keys, 96-bit IVs and 128-bit tags are
 * accepted: shorter tags weaken forgery resistance and other IV sizes are not our format.
 * No plaintext byte is returned unless the tag verified: Node's update() hands out
 * unverified plaintext, so it is held here, zeroed if final() rejects the tag, and only
 * returned after final() succeeded.
 */
export function decryptWithKey(key: Buffer, iv: Buffer, ct: Buffer, aad: Buffer): Buffer {
  if (key.length !== KEY_BYTES || iv.length !== IV_BYTES || ct.length < TAG_BYTES) {
    throw new IntegrityError('envelope has the wrong key, iv or tag length');
  }
  const body = ct.subarray(0, ct.length - TAG_BYTES);
  const tag = ct.subarray(ct.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const head = decipher.update(body);
  try {
    const tail = decipher.final();
    return Buffer.concat([head, tail]);
  } catch (cause) {
    head.fill(0);
    throw new IntegrityError('ciphertext failed authentication', { cause });
  }
}

/** Seals a value under a fresh data key from the key provider; the key is zeroed after use. */
export async function seal(keys: KeyProvider, plaintext: Buffer, context: EncryptionContext): Promise<Envelope> {
  const dataKey = await keys.generateDataKey(context);
  try {
    const { iv, ct } = encryptWithKey(dataKey.plaintext, plaintext, encodeContext(context));
    return { alg: FORMAT_ID, iv, ct, edk: dataKey.wrapped, kid: dataKey.keyId };
  } finally {
    dataKey.plaintext.fill(0);
  }
}

/** Opens an envelope bound to `context`; IntegrityError on any mismatch. */
export async function open(keys: KeyProvider, envelope: Envelope, context: EncryptionContext): Promise<Buffer> {
  if (envelope.alg !== FORMAT_ID) throw new IntegrityError(`unknown envelope format`);
  // Check shape before spending a KMS call on an envelope that cannot be ours.
  if (envelope.iv.length !== IV_BYTES || envelope.ct.length < TAG_BYTES) {
    throw new IntegrityError('envelope has the wrong iv or tag length');
  }
  const key = await keys.decryptDataKey(envelope.edk, envelope.kid, context);
  try {
    return decryptWithKey(key, envelope.iv, envelope.ct, encodeContext(context, envelope.alg));
  } finally {
    key.fill(0);
  }
}
