import { createDecipheriv } from 'node:crypto';
import { CURSOR_KEY_CONTEXT } from '../../src/core/cursor-seal';
import type { KeyProvider } from '../../src/core/ports';

/**
 * Reads what a sealed listing cursor holds, as someone holding the vault's key would: the data
 * key unwrapped by the key provider, the ciphertext decrypted as GCM's underlying CTR stream
 * without checking the tag or knowing the AAD. Written from the token layout, not with the
 * sealer, so a test sees exactly the bytes a caller carries around.
 */
export async function peekCursor(
  token: string,
  keys: KeyProvider,
): Promise<{ range: number; store?: string; e: number }> {
  const bytes = Buffer.from(token, 'base64url');
  const kidEnd = 2 + bytes[1]!;
  const kid = bytes.subarray(2, kidEnd).toString('utf8');
  const edkEnd = kidEnd + 2 + bytes.readUInt16BE(kidEnd);
  const edk = bytes.subarray(kidEnd + 2, edkEnd);
  const iv = bytes.subarray(edkEnd, edkEnd + 12);
  const body = bytes.subarray(edkEnd + 12, bytes.length - 16);
  const key = await keys.decryptDataKey(Buffer.from(edk), kid, CURSOR_KEY_CONTEXT);
  // GCM encrypts with CTR starting at counter block IV || 0x00000002.
  const counter = Buffer.concat([iv, Buffer.from([0, 0, 0, 2])]);
  const decipher = createDecipheriv('aes-256-ctr', key, counter);
  return JSON.parse(Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8'));
}

/** Flips one bit of a cursor's bytes (at `bit`, counted from the end so it lands in sealed data). */
export function flipBit(token: string, bitFromEnd: number): string {
  const bytes = Buffer.from(token, 'base64url');
  const index = bytes.length - 1 - Math.floor(bitFromEnd / 8);
  bytes[index]! ^= 1 << (bitFromEnd % 8);
  return bytes.toString('base64url');
}
