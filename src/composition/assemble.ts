import { HttpExchangeChecker } from '../adapters/exchanges/http-exchange-checker';
import { logAuditSink } from '../adapters/log/audit-log-sink';
import type { Logger } from '../adapters/log/logger';
import type { ExchangeConfig } from '../config';
import { CachingKeyProvider, type DataKeyCacheSettings } from '../core/data-key-cache';
import type { ExchangeKeyDeps } from '../core/exchange-key-intake';
import type { Policy } from '../core/policy';
import type { AuditSink, Clock, KeyProvider, MacProvider, SecretStore } from '../core/ports';
import { Vault, type VaultSettings } from '../core/vault';

export const systemClock: Clock = { now: () => new Date() };

export interface VaultParts {
  keys: KeyProvider;
  store: SecretStore;
  exchanges?: ExchangeKeyDeps;
  policy: Policy;
  audit: AuditSink;
  clock?: Clock;
}

/** Joins parts the same way for every front and every test: the data-key cache in front of the keys. */
export function assembleVault(
  settings: { vault: VaultSettings; keyCache: DataKeyCacheSettings },
  parts: VaultParts,
): { vault: Vault; keys: CachingKeyProvider } {
  const clock = parts.clock ?? systemClock;
  const keys = new CachingKeyProvider(parts.keys, settings.keyCache, clock);
  const vault = new Vault({
    keys,
    store: parts.store,
    ...(parts.exchanges && { exchanges: parts.exchanges }),
    policy: parts.policy,
    audit: parts.audit,
    clock,
    settings: settings.vault,
  });
  return { vault, keys };
}

/** The adapters one mode provides. */
export interface Adapters {
  keys: KeyProvider;
  /** Keyed MACs under a vault-only key (blind index, audit checkpoints). */
  macs: MacProvider;
  store: SecretStore;
  /** One line for banners and CLI headers: which mode, which table, which key. */
  describe: string;
  /** Releases what was opened (the embedded store, SDK connection pools). */
  close(): Promise<void>;
}

export interface Composition extends Omit<Adapters, 'keys'> {
  vault: Vault;
  /** The cached key provider the vault uses (rewrap asks it for the current key id). */
  keys: CachingKeyProvider;
}

export interface ComposeOptions {
  /** Where audit lines go: stdout for servers, a file for CLI walks. */
  logger: Logger;
  clock?: Clock;
  /** The policy the vault decides by, when not the config's (a server's reloading view). */
  policy?: Policy;
}

/** The vault over a mode's adapters, with the config's policy and settings. */
export function composeFrom(
  config: { policy: Policy; vault: VaultSettings; keyCache: DataKeyCacheSettings; exchanges: ExchangeConfig },
  adapters: Adapters,
  options: ComposeOptions,
): Composition {
  const { vault, keys } = assembleVault(config, {
    keys: adapters.keys,
    store: adapters.store,
    exchanges: {
      checker: new HttpExchangeChecker({ baseUrls: config.exchanges.baseUrls, timeoutMs: config.exchanges.timeoutMs }),
      macs: adapters.macs,
      settings: { check: config.exchanges.check, policy: config.exchanges.policy },
    },
    policy: options.policy ?? config.policy,
    audit: logAuditSink(options.logger),
    ...(options.clock && { clock: options.clock }),
  });
  return { ...adapters, vault, keys };
}
