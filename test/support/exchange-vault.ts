import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exchangeUrlSetting } from '../../src/config';
import { type RunningVault, startServer } from '../../src/server';
import { LOOPBACK, type RunningStub, START_STUB, type StubExchange, type StubKey } from '../stubs/exchanges';
import { MemoryLogger } from './memory-logger';

export interface VaultWithStubs {
  vault: RunningVault;
  stubs: Partial<Record<StubExchange, RunningStub>>;
  /** The settings of a `kms-vault` command line against this vault. */
  env: NodeJS.ProcessEnv;
  logger: MemoryLogger;
  close(): Promise<void>;
}

/** A stub key bound to loopback (where the vault calls from in tests), with its own secret. */
export function loopbackKey(apiKey: string, profile: StubKey['profile'], secret: string, passphrase?: string): StubKey {
  return { apiKey, secret, passphrases: passphrase === undefined ? [] : [passphrase], profile, whitelist: LOOPBACK };
}

/**
 * The embedded vault (`npm start`) with exchange checks required, each named exchange served
 * by its stub on loopback with the given keys (VAULT_EXCHANGE_URL_<X>); the others are never
 * called. What the README's demo session runs, in one process.
 */
export async function startVaultWithStubs(keys: Partial<Record<StubExchange, StubKey[]>>): Promise<VaultWithStubs> {
  const dir = mkdtempSync(join(tmpdir(), 'kms-vault-exchange-'));
  const stubs: Partial<Record<StubExchange, RunningStub>> = {};
  const settings: NodeJS.ProcessEnv = {
    VAULT_DATA_DIR: join(dir, 'vault'),
    PORT: '0',
    VAULT_EXCHANGE_CHECK: 'required',
  };
  const logger = new MemoryLogger();
  try {
    for (const [exchange, table] of Object.entries(keys) as Array<[StubExchange, StubKey[]]>) {
      const stub = await START_STUB[exchange]({ keys: table });
      stubs[exchange] = stub;
      settings[exchangeUrlSetting(exchange)] = stub.url;
    }
    const vault = await startServer(settings, logger);
    return {
      vault,
      stubs,
      env: { VAULT_DATA_DIR: settings.VAULT_DATA_DIR, VAULT_ENDPOINT: vault.url },
      logger,
      close: async () => {
        await vault.close();
        await Promise.all(Object.values(stubs).map((stub) => stub.close()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(Object.values(stubs).map((stub) => stub.close()));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
