import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalKeyProvider } from '../../src/adapters/local-keys/local-key-provider';
import { VaultClient } from '../../src/client/vault-client';
import { type RunningVault, startServer } from '../../src/server';
import { MemoryLogger } from '../support/memory-logger';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const env = (dir: string, extra: Record<string, string> = {}) => ({
  VAULT_DATA_DIR: dir,
  PORT: '0',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  ...extra,
});
const PATH = 'exchange-keys/user-1/okx';

let root: string;
let running: RunningVault | undefined;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'kms-vault-iso-'));
});
afterEach(async () => {
  await running?.close();
  running = undefined;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const freshDir = () => join(root, `d${++n}`);
const client = (vault: RunningVault) =>
  new VaultClient({ endpoint: vault.url, region: 'us-east-1', credentials: vault.credential });

/** The inodes of the TCP sockets process `pid` is listening on (from /proc). */
function listeningTcpSockets(pid: number): string[] {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        } catch {
          return undefined;
        }
      })
      .filter((inode): inode is string => inode !== undefined),
  );
  const listening: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // st 0A is LISTEN; field 9 is the inode.
      if (fields[3] === '0A' && inodes.has(fields[9]!)) listening.push(`${fields[1]} (inode ${fields[9]})`);
    }
  }
  return listening;
}

describe("embedded mode: the store is the vault user's alone", () => {
  it("npm start opens exactly one listening TCP socket, the vault's; the store is a Unix socket in a 0700 data dir", async () => {
    const dir = freshDir();
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { ...process.env, ...env(dir) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stderr!.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(text);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`server exited (${code}): ${text}`)));
      });
      const sockets = listeningTcpSockets(child.pid!);
      expect(sockets).toHaveLength(1);
      const port = Number(new URL(url).port);
      expect(sockets[0]).toContain(`:${port.toString(16).toUpperCase().padStart(4, '0')} `);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, 'dynamodb.sock')).isSocket()).toBe(true);
    } finally {
      child.kill();
    }
  });

  it('another local account cannot reach the store socket', async () => {
    running = await startServer(env(freshDir()), new MemoryLogger());
    const socket = join(running.config.dataDir, 'dynamodb.sock');
    if (isRoot) {
      // Act as uid nobody: connecting needs search permission on the 0700 directory.
      const script = `require('net').connect(${JSON.stringify(socket)}).on('connect',()=>{console.log('connected');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})`;
      const out = execFileSync(process.execPath, ['-e', script], { uid: NOBODY, gid: NOBODY }).toString().trim();
      expect(out).toBe('EACCES');
    } else {
      // Not root, so no other account to act as: the mode that keeps them out is checked instead.
      expect(statSync(running.config.dataDir).mode & 0o077).toBe(0);
    }
  });

  it('refuses a data directory group or others can reach, naming the fix', async () => {
    const dir = freshDir();
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o770);
    await expect(startServer(env(dir), new MemoryLogger())).rejects.toThrow(
      /data directory .* has mode 0770.*chmod 700/,
    );
  });

  it('refuses a data directory owned by another user', async () => {
    let dir = '/usr/share';
    if (isRoot) {
      dir = freshDir();
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, NOBODY, NOBODY);
    }
    await expect(startServer(env(dir), new MemoryLogger())).rejects.toThrow(/owned by uid \d+, not by this user/);
  });

  it('refuses a master key that is a symlink, even to a private file', async () => {
    const dir = freshDir();
    running = await startServer(env(dir), new MemoryLogger());
    await running.close();
    running = undefined;
    copyFileSync(join(dir, 'master.key'), join(root, `elsewhere-${n}.key`));
    chmodSync(join(root, `elsewhere-${n}.key`), 0o600);
    rmSync(join(dir, 'master.key'));
    symlinkSync(join(root, `elsewhere-${n}.key`), join(dir, 'master.key'));
    await expect(startServer(env(dir), new MemoryLogger())).rejects.toThrow(/master key file .* is a symlink/);
  });

  it('refuses a credentials file another user owns', async () => {
    if (!isRoot) {
      // Without root no file can be given to another user; the mode rule is tested in the unit tests.
      expect(isRoot).toBe(false);
      return;
    }
    const dir = freshDir();
    running = await startServer(env(dir), new MemoryLogger());
    await running.close();
    running = undefined;
    chownSync(join(dir, 'credentials.json'), NOBODY, NOBODY);
    await expect(startServer(env(dir), new MemoryLogger())).rejects.toThrow(/credentials file .* owned by uid 65534/);
  });
});

describe('what a new user hits', () => {
  let blocker: Server;
  afterEach(() => new Promise<void>((resolve) => (blocker?.listening ? blocker.close(() => resolve()) : resolve())));

  it('a port in use says so and how to choose another', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = String((blocker.address() as { port: number }).port);
    await expect(startServer(env(freshDir(), { PORT: port }), new MemoryLogger())).rejects.toThrow(
      new RegExp(`port ${port} on 127.0.0.1 is in use.*PORT=8081 npm start`),
    );
  });

  it('a missing master key over a store that holds secrets stops start-up, naming the file and the recovery', async () => {
    const dir = freshDir();
    running = await startServer(env(dir), new MemoryLogger());
    await client(running).putSecret(PATH, 'kept');
    await running.close();
    running = undefined;
    renameSync(join(dir, 'master.key'), join(root, `backup-${n}.key`));
    await expect(startServer(env(dir), new MemoryLogger())).rejects.toThrow(
      /holds secrets but .*master\.key is missing.*Restore master\.key from your backup/,
    );
    // Nothing was created in its place, and restoring it brings everything back.
    expect(() => statSync(join(dir, 'master.key'))).toThrow();
    renameSync(join(root, `backup-${n}.key`), join(dir, 'master.key'));
    running = await startServer(env(dir), new MemoryLogger());
    await expect(client(running).getSecret(PATH)).resolves.toMatchObject({ value: 'kept' });
  });

  it('a version wrapped by a key the vault no longer holds answers 500 unknown_key, and the log names the key', async () => {
    const dir = freshDir();
    running = await startServer(env(dir), new MemoryLogger());
    await client(running).putSecret(PATH, 'old');
    const oldKid = (await client(running).describeSecret(PATH)).versions[0]!.kid!;
    await running.close();
    running = undefined;
    LocalKeyProvider.rotate(dir);
    rmSync(join(dir, 'retired-keys'), { recursive: true });
    const logger = new MemoryLogger();
    running = await startServer(env(dir), logger);
    const res = await client(running).request('GET', `/v1/secrets/${PATH}`);
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ error: { code: 'unknown_key', message: 'internal error' } });
    expect(logger.records).toContainEqual(
      expect.objectContaining({ type: 'error', code: 'unknown_key', keyId: oldKid }),
    );
  });
});
