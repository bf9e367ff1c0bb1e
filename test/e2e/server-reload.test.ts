import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addCredential, removeCredential } from '../../src/adapters/auth/credentials-file';
import { VaultClient } from '../../src/client/vault-client';
import { LOCAL_ADMIN } from '../../src/config';
import { type RunningVault, startServer } from '../../src/server';
import { MemoryLogger } from '../support/memory-logger';

const READER = 'arn:aws:iam::123456789012:role/reader';
const PATH = 'apps/reload/db';

/** Polls until `check` passes (the server looks at its files every 50 ms here). */
async function eventually(check: () => Promise<void>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

describe('a running server picks up changed credentials and policy files', () => {
  let dir: string;
  let vault: RunningVault;
  let logger: MemoryLogger;
  const policyFile = () => join(dir, 'policy.json');
  const writePolicy = (rules: unknown) => writeFileSync(policyFile(), JSON.stringify({ rules }));
  const client = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
    new VaultClient({ endpoint: vault.url, region: 'us-east-1', credentials });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kms-vault-reload-'));
    writePolicy([{ principals: [LOCAL_ADMIN], actions: ['write', 'read', 'describe'], paths: ['*'] }]);
    logger = new MemoryLogger();
    vault = await startServer(
      {
        VAULT_DATA_DIR: join(dir, 'data'),
        PORT: '0',
        VAULT_POLICY_FILE: policyFile(),
        VAULT_RELOAD_INTERVAL_MS: '50',
      },
      logger,
    );
    await client(vault.credential).putSecret(PATH, { password: 'pw-1' });
  });
  afterEach(async () => {
    await vault.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a credential added to the file works without a restart, and a removed one stops working', async () => {
    const reader = addCredential(vault.config.sigv4.credentialsFile, READER);
    writePolicy([
      { principals: [LOCAL_ADMIN], actions: ['write', 'read', 'describe'], paths: ['*'] },
      { principals: [READER], actions: ['read'], paths: ['apps/*'] },
    ]);
    await eventually(async () => {
      await expect(client(reader).getSecret(PATH)).resolves.toMatchObject({ value: { password: 'pw-1' } });
    });
    removeCredential(vault.config.sigv4.credentialsFile, reader.accessKeyId);
    await eventually(async () => {
      await expect(client(reader).getSecret(PATH)).rejects.toMatchObject({ status: 401 });
    });
    expect(logger.records.filter((r) => r.type === 'reload' && r.outcome === 'loaded').length).toBeGreaterThanOrEqual(
      3,
    );
  });

  it('an invalid policy file is refused: the old policy stays in force and one log line says so, without the file', async () => {
    const reader = addCredential(vault.config.sigv4.credentialsFile, READER);
    writePolicy([
      { principals: [LOCAL_ADMIN], actions: ['write', 'read', 'describe'], paths: ['*'] },
      { principals: [READER], actions: ['read'], paths: ['apps/*'] },
    ]);
    await eventually(async () => {
      await expect(client(reader).getSecret(PATH)).resolves.toMatchObject({ version: 1 });
    });
    // A wildcard principal would open the vault to everyone: refused, like at start-up.
    writePolicy([
      { principals: ['arn:aws:iam::123456789012:role/*-wildcard-canary'], actions: ['read'], paths: ['*'] },
    ]);
    await eventually(async () => {
      expect(logger.records.some((r) => r.type === 'reload' && r.what === 'policy' && r.outcome === 'refused')).toBe(
        true,
      );
    });
    await expect(client(reader).getSecret(PATH)).resolves.toMatchObject({ version: 1 });
    await expect(client(vault.credential).getSecret(PATH)).resolves.toMatchObject({ version: 1 });
    const refused = logger.records.find((r) => r.type === 'reload' && r.outcome === 'refused')!;
    expect(refused).toMatchObject({ file: policyFile(), reason: 'invalid policy at rule 0 (principals.0)' });
    expect(logger.text()).not.toContain('wildcard-canary');
    writeFileSync(policyFile(), '{"rules": [');
    await eventually(async () => {
      expect(logger.records.filter((r) => r.type === 'reload' && r.outcome === 'refused').at(-1)).toMatchObject({
        reason: 'not valid JSON',
      });
    });
    await expect(client(reader).getSecret(PATH)).resolves.toMatchObject({ version: 1 });
  });
});
