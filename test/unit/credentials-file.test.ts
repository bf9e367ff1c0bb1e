import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addCredential,
  type Credential,
  createCredentialsFile,
  loadCredentialsFile,
  NoCredentialsFileError,
  removeCredential,
  UnknownCredentialError,
} from '../../src/adapters/auth/credentials-file';

const KEY: Credential = {
  accessKeyId: 'AKLVTESTKEY234567ABC',
  secretAccessKey: 'x8Jq3mZ0rT5vW2yB6nC9pD1fG4hK7lS0aE3iU6oQ',
  principal: 'arn:aws:iam::123456789012:role/payments',
};

describe('credentials file', () => {
  let dir: string;
  const arn = 'arn:aws:iam::000000000000:user/vault-admin';
  const write = (name: string, content: unknown, mode: number) => {
    const file = join(dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    chmodSync(file, mode);
    return file;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sigv4-creds-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a 0600 file and maps access key ids to credentials', () => {
    const file = write('c.json', { credentials: [KEY] }, 0o600);
    expect(loadCredentialsFile(file)).toEqual(new Map([[KEY.accessKeyId, KEY]]));
  });

  it.each(['0644', '0640', '0604', '0660', '0602'])('refuses mode %s', (mode) => {
    const file = write('c.json', { credentials: [KEY] }, parseInt(mode, 8));
    expect(() => loadCredentialsFile(file)).toThrow(/group or others.*chmod 600/);
  });

  it('refuses invalid content without echoing secrets', () => {
    const bad = write('bad.json', { credentials: [{ ...KEY, accessKeyId: 'short' }] }, 0o600);
    expect(() => loadCredentialsFile(bad)).toThrow(/credentials\.0\.accessKeyId/);
    expect(() => loadCredentialsFile(bad)).not.toThrow(new RegExp(KEY.secretAccessKey));
    const notArn = write('arn.json', { credentials: [{ ...KEY, principal: 'admin' }] }, 0o600);
    expect(() => loadCredentialsFile(notArn)).toThrow(/principal/);
    expect(() => loadCredentialsFile(write('j.json', '{nope', 0o600))).toThrow(/not valid JSON/);
    expect(() => loadCredentialsFile(write('dup.json', { credentials: [KEY, KEY] }, 0o600))).toThrow(/repeats/);
    // A refused reload logs this message: it locates the repeat without naming the key.
    expect(() => loadCredentialsFile(write('dup2.json', { credentials: [KEY, KEY] }, 0o600))).not.toThrow(
      new RegExp(KEY.accessKeyId),
    );
  });

  it('creates a 0600 file (and 0700 parent) that loads back', () => {
    const file = join(dir, 'nested', 'credentials.json');
    const created = createCredentialsFile(file, arn);
    expect(created.accessKeyId).toMatch(/^AKLV[A-Z2-7]{16}$/);
    expect(created.secretAccessKey).toMatch(/^[A-Za-z0-9_-]{40}$/);
    expect(created.principal).toBe(arn);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700);
    expect(loadCredentialsFile(file).get(created.accessKeyId)).toEqual(created);
  });

  it('refuses to overwrite an existing file', () => {
    const file = join(dir, 'credentials.json');
    const first = createCredentialsFile(file, arn);
    const before = readFileSync(file, 'utf8');
    expect(() => createCredentialsFile(file, arn)).toThrow(/refusing to overwrite/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(loadCredentialsFile(file).has(first.accessKeyId)).toBe(true);
  });

  it('generates a different credential each time', () => {
    const a = createCredentialsFile(join(dir, 'a.json'), arn);
    const b = createCredentialsFile(join(dir, 'b.json'), arn);
    expect(a.accessKeyId).not.toBe(b.accessKeyId);
    expect(a.secretAccessKey).not.toBe(b.secretAccessKey);
  });

  it('adds a credential atomically: a new 0600 file renamed over the old, no temporary or lock left', () => {
    const file = join(dir, 'credentials.json');
    const admin = createCredentialsFile(file, arn);
    const inodeBefore = statSync(file).ino;
    const added = addCredential(file, 'arn:aws:iam::123456789012:role/trading-engine');
    expect(added.principal).toBe('arn:aws:iam::123456789012:role/trading-engine');
    expect(statSync(file).ino).not.toBe(inodeBefore);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect([...loadCredentialsFile(file).values()]).toEqual([admin, added]);
    expect(readdirSync(dir)).toEqual(['credentials.json']);
  });

  it('removes by access key id, refuses an unknown id and the last credential, and changes nothing then', () => {
    const file = join(dir, 'credentials.json');
    const admin = createCredentialsFile(file, arn);
    const other = addCredential(file, 'arn:aws:iam::123456789012:role/reader');
    expect(() => removeCredential(file, 'AKLVNOSUCHKEY2345678')).toThrow(UnknownCredentialError);
    expect(removeCredential(file, other.accessKeyId)).toEqual(other);
    const before = readFileSync(file, 'utf8');
    expect(() => removeCredential(file, admin.accessKeyId)).toThrow(/only credential/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses to change a missing, invalid, shared or locked file', () => {
    const role = 'arn:aws:iam::123456789012:role/reader';
    expect(() => addCredential(join(dir, 'none.json'), role)).toThrow(NoCredentialsFileError);
    const invalid = write('bad.json', '{nope', 0o600);
    expect(() => addCredential(invalid, role)).toThrow(/not valid JSON/);
    const shared = write('shared.json', { credentials: [KEY] }, 0o644);
    expect(() => addCredential(shared, role)).toThrow(/group or others/);
    const file = join(dir, 'credentials.json');
    createCredentialsFile(file, arn);
    writeFileSync(`${file}.lock`, '');
    expect(() => addCredential(file, role)).toThrow(/in progress/);
    expect(() => addCredential(file, 'not-an-arn')).toThrow(/not an IAM role or user ARN/);
  });
});
