import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { macInput } from '../../core/mac-message';
import type { MacProvider } from '../../core/ports';
import { readPrivateFile } from '../local-files/private-files';

const MAC_FILE = 'mac.key';
const KEY_BYTES = 32;

/**
 * MacProvider for embedded mode: HMAC-SHA-256 under a 32-byte key in `mac.key` beside the
 * master key (0600, the vault user's own). Losing it only loses what its MACs index (the
 * duplicate check, audit checkpoints); no secret depends on it.
 */
export class LocalMacProvider implements MacProvider {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error('a local MAC key is 32 bytes');
    this.key = Buffer.from(key);
  }

  /** Loads `dir/mac.key`, creating it (mode 0600) on first use. */
  static fromDirectory(dir: string): LocalMacProvider {
    const file = join(dir, MAC_FILE);
    if (!existsSync(file)) {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, randomBytes(KEY_BYTES));
      } finally {
        closeSync(fd);
      }
    }
    const key = readPrivateFile(file, 'MAC key file');
    if (key.length !== KEY_BYTES) throw new Error(`refusing ${file}: a MAC key file holds exactly 32 bytes`);
    return new LocalMacProvider(key);
  }

  async mac(purpose: string, message: Buffer): Promise<Buffer> {
    return createHmac('sha256', this.key).update(macInput(purpose, message)).digest();
  }
}
