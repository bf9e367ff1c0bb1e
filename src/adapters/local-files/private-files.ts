import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, type Stats } from 'node:fs';

/**
 * Local secrets (the master key, SigV4 credentials, the embedded store) belong to the vault's
 * own user and to nobody else. These helpers refuse anything another local account could have
 * placed, read or swapped: group or other permission bits, another owner, a symlink.
 */
export class PrivateFileError extends Error {
  override readonly name = 'PrivateFileError';
}

const euid = () => (typeof process.geteuid === 'function' ? process.geteuid() : undefined);
const modeText = (stat: Stats) => (stat.mode & 0o777).toString(8).padStart(4, '0');

function assertPrivate(stat: Stats, what: string, path: string, fix: string): void {
  const me = euid();
  if (me !== undefined && stat.uid !== me) {
    throw new PrivateFileError(
      `${what} ${path} is owned by uid ${stat.uid}, not by this user (uid ${me}): run the vault as its owner, or chown it`,
    );
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new PrivateFileError(
      `${what} ${path} has mode ${modeText(stat)}: group or others can reach it; run chmod ${fix} ${path}`,
    );
  }
}

/**
 * Creates `dir` (mode 0700) when missing; refuses it when it is a symlink, is not a directory,
 * belongs to another user or lets group or others in.
 */
export function ensurePrivateDir(dir: string, what = 'data directory'): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink()) throw new PrivateFileError(`${what} ${dir} is a symlink: use the directory itself`);
  if (!stat.isDirectory()) throw new PrivateFileError(`${what} ${dir} is not a directory`);
  assertPrivate(stat, what, dir, '700');
}

/**
 * Reads a file that must be the vault user's alone. Opened without following a symlink, and
 * checked on the open descriptor (fstat), so the file checked is the file read.
 */
export function readPrivateFile(file: string, what: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new PrivateFileError(`${what} ${file} is a symlink: refusing it; put the file itself there`);
    }
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new PrivateFileError(`${what} ${file} is not a regular file`);
    assertPrivate(stat, what, file, '600');
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
