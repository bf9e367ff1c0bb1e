import { adminPolicy, type Policy } from '../../src/core/policy';
import type { KeyProvider } from '../../src/core/ports';
import { type Caller, Vault } from '../../src/core/vault';
import { CountingKeyProvider } from './counting-key-provider';
import { ADMIN, FakeClock, MemoryAudit } from './fakes';
import { MemorySecretStore } from './memory-store';

/** A Vault over hand-written fakes: the core alone, no network. */
export function coreVault(
  options: {
    keys?: KeyProvider;
    policy?: Policy;
    maxVersions?: number;
    /** Default 24, as in production. */
    retentionMinAgeHours?: number;
    versionCeiling?: number;
    rotationDays?: number;
    store?: MemorySecretStore;
    clock?: FakeClock;
  } = {},
) {
  const store = options.store ?? new MemorySecretStore();
  const keys = options.keys ?? new CountingKeyProvider();
  const clock = options.clock ?? new FakeClock();
  const audit = new MemoryAudit();
  const vault = new Vault({
    keys,
    store,
    policy: options.policy ?? adminPolicy(ADMIN),
    audit,
    clock,
    settings: {
      maxVersions: options.maxVersions ?? 10,
      retentionMinAgeHours: options.retentionMinAgeHours ?? 24,
      versionCeiling: options.versionCeiling ?? 100,
      rotationDays: options.rotationDays ?? 30,
      maxWriteAttempts: 40,
    },
    sleep: async () => undefined,
  });
  const admin: Caller = { principal: ADMIN, requestId: 'test-request' };
  return { vault, store, keys, clock, audit, admin };
}
