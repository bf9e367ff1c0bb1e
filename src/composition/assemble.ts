import { HttpExchangeChecker } from '../adapters/exchanges/http-exchange-checker';
import { logAuditSink } from '../adapters/log/audit-log-sink';
import type { Logger } from '../adapters/log/logger';
import type { AuditConfig, ExchangeConfig } from '../config';
import { AccessChain, type AccessChainEvents } from '../core/access-chain';
import { CachingKeyProvider, type DataKeyCacheSettings } from '../core/data-key-cache';
import { DependencyError } from '../core/errors';
import type { ExchangeKeyDeps } from '../core/exchange-key-intake';
import type { Policy } from '../core/policy';
import type {
  AccessTrail,
  AuditSink,
  ChainSource,
  Clock,
  KeyProvider,
  MacProvider,
  SecretStore,
  TrailStore,
} from '../core/ports';
import { Vault, type VaultSettings } from '../core/vault';

export const systemClock: Clock = { now: () => new Date() };

export interface VaultParts {
  keys: KeyProvider;
  store: SecretStore;
  exchanges?: ExchangeKeyDeps;
  policy: Policy;
  audit: AuditSink;
  trail?: AccessTrail;
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
    ...(parts.trail && { trail: parts.trail }),
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
  /** The access trail's table; present when VAULT_AUDIT=durable. */
  trail?: TrailStore & ChainSource;
  /** One line for banners and CLI headers: which mode, which table, which key. */
  describe: string;
  /** Releases what was opened (the embedded store, SDK connection pools). */
  close(): Promise<void>;
}

export interface Composition extends Omit<Adapters, 'keys'> {
  vault: Vault;
  /** The cached key provider the vault uses (rewrap asks it for the current key id). */
  keys: CachingKeyProvider;
  /** This process's chain in the access trail (durable mode). */
  chain?: AccessChain;
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
  config: {
    policy: Policy;
    vault: VaultSettings;
    keyCache: DataKeyCacheSettings;
    exchanges: ExchangeConfig;
    audit: AuditConfig;
  },
  adapters: Adapters,
  options: ComposeOptions,
): Composition {
  const chain =
    config.audit.mode === 'durable' && adapters.trail
      ? new AccessChain(
          adapters.trail,
          adapters.macs,
          options.clock ?? systemClock,
          config.audit,
          chainEvents(options.logger),
        )
      : undefined;
  if (config.audit.mode === 'durable' && !chain) throw new Error('VAULT_AUDIT=durable needs the trail table adapter');
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
    ...(chain && { trail: chain }),
    ...(options.clock && { clock: options.clock }),
  });
  return {
    ...adapters,
    vault,
    keys,
    ...(chain && { chain }),
    // The chain's final checkpoint goes before the store closes under it.
    close: async () => {
      await chain?.close().catch(() => undefined);
      await adapters.close();
    },
  };
}

/**
 * Checkpoints and trail failures as log lines. A checkpoint's line (head hash and MAC) is a
 * copy of it outside the table: someone who can rewrite the table cannot rewrite the logs.
 */
function chainEvents(logger: Logger): AccessChainEvents {
  const failure = (error: unknown) =>
    error instanceof DependencyError ? error.detail : ((error as Error)?.name ?? 'Error');
  return {
    checkpoint: (c) =>
      logger.write({
        type: 'audit-checkpoint',
        chain: c.chain,
        n: c.n,
        upto: c.upto,
        head: c.head,
        failed: c.failed,
        at: c.time,
        mac: c.mac?.toString('base64url'),
      }),
    recordFailed: (record, error) =>
      logger.write({
        type: 'audit-trail-failure',
        requestId: record.requestId,
        chain: record.chain,
        seq: record.seq,
        action: record.action,
        decision: record.decision,
        detail: failure(error),
      }),
    checkpointFailed: (chain, error) =>
      logger.write({ type: 'audit-trail-failure', chain, checkpoint: true, detail: failure(error) }),
  };
}
