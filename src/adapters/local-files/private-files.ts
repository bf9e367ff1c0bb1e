import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  type Stats,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

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

/**
 * Replaces `file` with `data` so that a reader (the running server) sees the old content or the
 * new, never a part: a temporary file in the same directory, created exclusively (so nothing
 * planted there is followed or reused) with mode 0600, written and fsynced, then renamed over
 * the old one, and the directory fsynced so the rename itself survives a crash.
 */
export function writePrivateFileAtomically(file: string, data: string): void {
  const dir = dirname(file);
  const temporary = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(
    temporary,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    try {
      // The umask can only narrow the mode given to open; set it exactly anyway.
      fchmodSync(fd, 0o600);
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/**
 * Runs `change` holding `<file>.lock` (created exclusively, removed after), so two commands
 * editing the same file cannot both read the old content and lose one another's change.
 */
export function withFileLock<T>(file: string, change: () => T): T {
  const lock = `${file}.lock`;
  let fd: number;
  try {
    fd = openSync(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new PrivateFileError(
        `${lock} exists: another change to ${file} is in progress (if none is, remove the lock file and retry)`,
      );
    }
    throw error;
  }
  closeSync(fd);
  try {
    return change();
  } finally {
    rmSync(lock, { force: true });
  }
}
