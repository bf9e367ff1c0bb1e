import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import * as z from 'zod/mini';
import { normalisePrincipal } from '../../core/principal';
import { readPrivateFile, withFileLock, writePrivateFileAtomically } from '../local-files/private-files';

/** One SigV4 credential of embedded mode: an access key pair standing for an IAM principal. */
export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  principal: string;
}

const credentialSchema = z.object({
  accessKeyId: z.string().check(z.regex(/^[A-Za-z0-9]{16,128}$/, 'must be 16-128 letters or digits')),
  secretAccessKey: z.string().check(z.minLength(16, 'must be at least 16 characters')),
  principal: z.string().check(z.refine(isPrincipalArn, 'must be an IAM role or user ARN')),
});
const credentialsFileSchema = z.object({ credentials: z.array(credentialSchema) });

// Checked at load time: a principal the authenticator cannot normalise would fail every request.
function isPrincipalArn(arn: string): boolean {
  try {
    normalisePrincipal(arn);
    return true;
  } catch {
    return false;
  }
}

export interface CredentialsFile {
  credentials: Credential[];
}

/**
 * Reads the local credentials file into a map keyed by access key id.
 *
 * @throws Error if the file is a symlink or not a regular file, belongs to another user, is
 *   accessible by group or others, is not valid JSON of the {@link CredentialsFile} shape, or repeats an access key id.
 */
export function loadCredentialsFile(file: string): Map<string, Credential> {
  const text = readPrivateFile(file, 'credentials file').toString('utf8');

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new Error(`credentials file ${file} is not valid JSON`, { cause });
  }
  const parsed = credentialsFileSchema.safeParse(json);
  if (!parsed.success) {
    // Issue paths and messages only: the file holds secrets, so never echo its values.
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`credentials file ${file} is invalid: ${issues.join('; ')}`);
  }

  const map = new Map<string, Credential>();
  for (const [index, credential] of parsed.data.credentials.entries()) {
    if (map.has(credential.accessKeyId)) {
      // Positions, not the id: this message may reach a log line when a reload is refused.
      throw new Error(`credentials file ${file} repeats an access key id (credentials.${index})`);
    }
    map.set(credential.accessKeyId, credential);
  }
  return map;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomBase32(chars: number): string {
  const bytes = randomBytes(chars);
  let out = '';
  for (const byte of bytes) out += BASE32[byte & 31];
  return out;
}

/**
 * Creates a credentials file holding one freshly generated credential for `principal`.
 * The parent directory is created 0700 if missing and the file 0600; an existing file is
 * never overwritten.
 *
 * @throws Error if the file already exists or `principal` is not an IAM role or user ARN.
 */
function newCredential(principal: string): Credential {
  if (!isPrincipalArn(principal)) throw new Error(`principal ${principal} is not an IAM role or user ARN`);
  return { accessKeyId: `AKLV${randomBase32(16)}`, secretAccessKey: randomBytes(30).toString('base64url'), principal };
}

const fileText = (content: CredentialsFile) => `${JSON.stringify(content, null, 2)}\n`;

export function createCredentialsFile(file: string, principal: string): Credential {
  const credential = newCredential(principal);
  const content: CredentialsFile = { credentials: [credential] };

  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(`refusing to overwrite existing credentials file ${file}`, { cause });
    }
    throw cause;
  }
  try {
    // The umask can only narrow the mode given to open; set it exactly anyway.
    fchmodSync(fd, 0o600);
    writeSync(fd, fileText(content));
  } finally {
    closeSync(fd);
  }
  return credential;
}

/**
 * The credentials of a server that signs its own callers in: the file as it is, or, on first
 * run, a new file holding one credential for `principal`.
 */
export function ensureCredentialsFile(
  file: string,
  principal: string,
): { credentials: Map<string, Credential>; created: boolean } {
  let created = false;
  try {
    createCredentialsFile(file, principal);
    created = true;
  } catch (error) {
    if (((error as Error).cause as NodeJS.ErrnoException | undefined)?.code !== 'EEXIST') throw error;
  }
  return { credentials: loadCredentialsFile(file), created };
}

/** No credentials file to change: the server makes it on its first start. */
export class NoCredentialsFileError extends Error {
  override readonly name = 'NoCredentialsFileError';
  constructor(file: string) {
    super(`no credentials file at ${file}: start the vault once (npm start) to create it with its admin credential`);
  }
}

/** No credential with that access key id. */
export class UnknownCredentialError extends Error {
  override readonly name = 'UnknownCredentialError';
  constructor(accessKeyId: string) {
    super(`no credential with access key id ${accessKeyId}`);
  }
}

/**
 * Reads, changes and atomically replaces the credentials file under its lock; the running
 * server sees the old file or the new one (see writePrivateFileAtomically) and reloads it.
 */
function changeCredentialsFile<T>(file: string, change: (credentials: Credential[]) => T): T {
  return withFileLock(file, () => {
    let current: Map<string, Credential>;
    try {
      current = loadCredentialsFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NoCredentialsFileError(file);
      throw error;
    }
    const credentials = [...current.values()];
    const result = change(credentials);
    writePrivateFileAtomically(file, fileText({ credentials }));
    return result;
  });
}

/** Adds a freshly generated credential for `principal`; the only time its secret is returned. */
export function addCredential(file: string, principal: string): Credential {
  const credential = newCredential(principal);
  changeCredentialsFile(file, (credentials) => credentials.push(credential));
  return credential;
}

/**
 * Removes the credential with `accessKeyId`. The last one is kept: a server with none could
 * be reached by nobody, and its next start would not make a new admin over an existing file.
 */
export function removeCredential(file: string, accessKeyId: string): Credential {
  return changeCredentialsFile(file, (credentials) => {
    const index = credentials.findIndex((c) => c.accessKeyId === accessKeyId);
    if (index === -1) throw new UnknownCredentialError(accessKeyId);
    if (credentials.length === 1) {
      throw new Error(`${accessKeyId} is the only credential in ${file}: add another before removing it`);
    }
    return credentials.splice(index, 1)[0]!;
  });
}
