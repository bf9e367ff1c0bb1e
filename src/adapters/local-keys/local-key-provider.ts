import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { decryptWithKey, encodeContext, encryptWithKey, IV_BYTES, KEY_BYTES } from '../../core/envelope';
import { UnknownKeyError } from '../../core/errors';
import type { DataKey, EncryptionContext, KeyProvider } from '../../core/ports';
import { readPrivateFile } from '../local-files/private-files';

/** AAD domain for wrapping, distinct from the secret envelope's, so the two can never be swapped. */
const WRAP_FORMAT = 'LOCAL.WRAP.1';
const MASTER_FILE = 'master.key';
const RETIRED_DIR = 'retired-keys';

/** Master-key id: a fingerprint, never the key. */
export function localKeyId(master: Buffer): string {
  return `local:${createHash('sha256').update('kms-vault local key id').update(master).digest('hex').slice(0, 16)}`;
}

/**
 * KeyProvider for embedded mode and tests: data keys are wrapped with AES-256-GCM under a
 * 32-byte master key kept in a 0600 file. Older master keys (after a local rotation) stay in
 * `retired-keys/` so versions wrapped under them keep opening until rewrapped.
 * Not for production: the config refuses it on Lambda.
 */
export class LocalKeyProvider implements KeyProvider {
  private readonly current: { id: string; key: Buffer };
  private readonly byId = new Map<string, Buffer>();

  constructor(master: Buffer, retired: Buffer[] = []) {
    for (const key of [master, ...retired]) {
      if (key.length !== KEY_BYTES) throw new Error('local master key must be 32 bytes');
      this.byId.set(localKeyId(key), Buffer.from(key));
    }
    this.current = { id: localKeyId(master), key: this.byId.get(localKeyId(master))! };
  }

  /** True when `dir` holds a master key file (whatever its state). */
  static hasMasterKey(dir: string): boolean {
    return existsSync(join(dir, MASTER_FILE));
  }

  /**
   * Loads `dir/master.key` and any retired keys. A missing master key is created (mode 0600)
   * only when `createIfMissing`: the caller decides, because a new key over an existing store
   * would leave every stored secret unreadable.
   */
  static fromDirectory(
    dir: string,
    options: { createIfMissing: boolean } = { createIfMissing: true },
  ): LocalKeyProvider {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const masterFile = join(dir, MASTER_FILE);
    if (!existsSync(masterFile)) {
      if (!options.createIfMissing) throw new Error(`no master key in ${dir}`);
      writeKeyFile(masterFile, randomBytes(KEY_BYTES));
    }
    const retiredDir = join(dir, RETIRED_DIR);
    const retired = existsSync(retiredDir)
      ? readdirSync(retiredDir)
          .filter((f) => f.endsWith('.key'))
          .map((f) => readKeyFile(join(retiredDir, f)))
      : [];
    return new LocalKeyProvider(readKeyFile(masterFile), retired);
  }

  /** Moves the current master key to retired-keys/ and creates a new one; returns the new id. */
  static rotate(dir: string): string {
    const masterFile = join(dir, MASTER_FILE);
    const old = readKeyFile(masterFile);
    const retiredDir = join(dir, RETIRED_DIR);
    mkdirSync(retiredDir, { recursive: true, mode: 0o700 });
    renameSync(masterFile, join(retiredDir, `${localKeyId(old).slice(6)}.key`));
    const next = randomBytes(KEY_BYTES);
    writeKeyFile(masterFile, next);
    return localKeyId(next);
  }

  async currentKeyId(): Promise<string> {
    return this.current.id;
  }

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    const plaintext = randomBytes(KEY_BYTES);
    return { plaintext, wrapped: this.wrap(this.current.key, plaintext, context), keyId: this.current.id };
  }

  async decryptDataKey(wrapped: Buffer, keyId: string, context: EncryptionContext): Promise<Buffer> {
    return this.unwrap(wrapped, keyId, context);
  }

  async rewrapDataKey(
    wrapped: Buffer,
    keyId: string,
    context: EncryptionContext,
  ): Promise<{ wrapped: Buffer; keyId: string }> {
    const plaintext = this.unwrap(wrapped, keyId, context);
    try {
      return { wrapped: this.wrap(this.current.key, plaintext, context), keyId: this.current.id };
    } finally {
      plaintext.fill(0);
    }
  }

  private wrap(master: Buffer, plaintext: Buffer, context: EncryptionContext): Buffer {
    const { iv, ct } = encryptWithKey(master, plaintext, encodeContext(context, WRAP_FORMAT));
    return Buffer.concat([iv, ct]);
  }

  private unwrap(wrapped: Buffer, keyId: string, context: EncryptionContext): Buffer {
    const master = this.byId.get(keyId);
    if (!master) throw new UnknownKeyError(keyId);
    return decryptWithKey(
      master,
      wrapped.subarray(0, IV_BYTES),
      wrapped.subarray(IV_BYTES),
      encodeContext(context, WRAP_FORMAT),
    );
  }
}

function writeKeyFile(file: string, key: Buffer): void {
  // 'wx' refuses to overwrite; the mode applies at creation so the key is never world-readable.
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, key);
  } finally {
    closeSync(fd);
  }
  chmodSync(file, 0o600);
}

/** Refuses a key file another user owns, group or others could reach, or a symlink. */
export function readKeyFile(file: string): Buffer {
  const key = readPrivateFile(file, 'master key file');
  if (key.length !== KEY_BYTES) throw new Error(`refusing ${file}: a master key file holds exactly 32 bytes`);
  return key;
}
