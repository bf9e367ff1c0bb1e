import { type Authenticator, createApp } from './adapters/http/app';
import type { Logger } from './adapters/http/logger';
import type { Config } from './config';
import { CachingKeyProvider } from './core/data-key-cache';
import type { Policy } from './core/policy';
import type { AuditSink, Clock, KeyProvider, SecretStore } from './core/ports';
import { Vault } from './core/vault';

export const systemClock: Clock = { now: () => new Date() };

/** Audit devices fail closed in Vault; here a decision line is written synchronously before the use case goes on. */
export function logAuditSink(logger: Logger): AuditSink {
  return { record: (event) => logger.write({ type: 'audit', ...event }) };
}

export interface Parts {
  keys: KeyProvider;
  store: SecretStore;
  policy: Policy;
  authenticate: Authenticator;
  logger: Logger;
  clock?: Clock;
}

/**
 * The one assembly shared by server.ts and lambda.ts: they choose the adapters, this joins
 * them the same way in both (cache in front of the key provider, audit to the log).
 */
export function assemble(config: Pick<Config, 'vault' | 'keyCache'>, parts: Parts) {
  const clock = parts.clock ?? systemClock;
  const keys = new CachingKeyProvider(parts.keys, config.keyCache, clock);
  const vault = new Vault({
    keys,
    store: parts.store,
    policy: parts.policy,
    audit: logAuditSink(parts.logger),
    clock,
    settings: config.vault,
  });
  const app = createApp({ vault, authenticate: parts.authenticate, logger: parts.logger });
  return { app, vault, keys };
}
