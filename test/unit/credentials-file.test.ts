import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Credential, createCredentialsFile, loadCredentialsFile } from '../../src/adapters/auth/credentials-file';

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
});
