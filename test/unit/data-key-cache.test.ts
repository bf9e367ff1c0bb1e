import { CachingKeyProvider } from '../../src/core/data-key-cache';
import { contextFor, open, seal } from '../../src/core/envelope';
import { DependencyError } from '../../src/core/errors';
import type { KeyProvider } from '../../src/core/ports';
import { CountingKeyProvider } from '../support/counting-key-provider';
import { FakeClock } from '../support/fakes';
import { coreVault } from '../support/vault';

const settings = { maxAgeSeconds: 300, maxEntries: 3, maxUses: 1000 };

async function wrappedKeys(inner: KeyProvider, n: number) {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const context = contextFor(`p/${i}`, 1);
      const dk = await inner.generateDataKey(context);
      return { context, wrapped: dk.wrapped, keyId: dk.keyId, plaintext: dk.plaintext };
    }),
  );
}

/** The cache's private entries, to check that evicted buffers were zeroed. */
const entriesOf = (cache: CachingKeyProvider) =>
  (cache as unknown as { entries: Map<string, { key: Buffer }> }).entries;

describe('data-key cache', () => {
  it('serves repeated unwraps of one wrapped key from memory, as a copy the caller may zero', async () => {
    const inner = new CountingKeyProvider();
    const cache = new CachingKeyProvider(inner, settings, new FakeClock());
    const [k] = await wrappedKeys(inner, 1);
    const first = await cache.decryptDataKey(k!.wrapped, k!.keyId, k!.context);
    first.fill(0);
    const second = await cache.decryptDataKey(k!.wrapped, k!.keyId, k!.context);
    expect(second).toEqual(k!.plaintext);
    expect(inner.calls.decryptDataKey).toBe(1);
  });

  it('never holds more than maxEntries; the least recently used goes first and is zeroed', async () => {
    const inner = new CountingKeyProvider();
    const cache = new CachingKeyProvider(inner, settings, new FakeClock());
    const keys = await wrappedKeys(inner, 6);
    const held: Buffer[] = [];
    for (const k of keys.slice(0, 3)) await cache.decryptDataKey(k.wrapped, k.keyId, k.context);
    held.push(...[...entriesOf(cache).values()].map((e) => e.key));
    await cache.decryptDataKey(keys[0]!.wrapped, keys[0]!.keyId, keys[0]!.context); // touch 0: 1 is now oldest
    for (const k of keys.slice(3)) {
      await cache.decryptDataKey(k.wrapped, k.keyId, k.context);
      expect(cache.size).toBeLessThanOrEqual(3);
    }
    expect(cache.size).toBe(3);
    // Entries for keys 0, 1, 2 were evicted in LRU order and every evicted buffer is zeros.
    for (const buffer of held) expect(buffer.equals(Buffer.alloc(32))).toBe(true);
    expect(inner.calls.decryptDataKey).toBe(6);
    await cache.decryptDataKey(keys[5]!.wrapped, keys[5]!.keyId, keys[5]!.context);
    expect(inner.calls.decryptDataKey).toBe(6);
  });

  it('an expired entry makes a fresh Decrypt, and its old buffer is zeroed', async () => {
    const inner = new CountingKeyProvider();
    const clock = new FakeClock();
    const cache = new CachingKeyProvider(inner, settings, clock);
    const [k] = await wrappedKeys(inner, 1);
    await cache.decryptDataKey(k!.wrapped, k!.keyId, k!.context);
    const cached = [...entriesOf(cache).values()][0]!.key;
    clock.advance(299_999);
    await cache.decryptDataKey(k!.wrapped, k!.keyId, k!.context);
    expect(inner.calls.decryptDataKey).toBe(1);
    clock.advance(2);
    await cache.decryptDataKey(k!.wrapped, k!.keyId, k!.context);
    expect(inner.calls.decryptDataKey).toBe(2);
    expect(cached.equals(Buffer.alloc(32))).toBe(true);
  });

  it('expired entries are zeroed even if nobody asks for them again', async () => {
    const inner = new CountingKeyProvider();
    const clock = new FakeClock();
    const cache = new CachingKeyProvider(inner, settings, clock);
    const [a, b] = await wrappedKeys(inner, 2);
    await cache.decryptDataKey(a!.wrapped, a!.keyId, a!.context);
    const cachedA = [...entriesOf(cache).values()][0]!.key;
    clock.advance(301_000);
    await cache.decryptDataKey(b!.wrapped, b!.keyId, b!.context);
    expect(cachedA.equals(Buffer.alloc(32))).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('an entry serves at most maxUses reads', async () => {
    const inner = new CountingKeyProvider();
    const cache = new CachingKeyProvider(inner, { ...settings, maxUses: 3 }, new FakeClock());
    const [k] = await wrappedKeys(inner, 1);
    for (let i = 0; i < 7; i++) await cache.decryptDataKey(k!.wrapped, k!.keyId, k!.context);
    expect(inner.calls.decryptDataKey).toBe(3);
  });

  it('keys the cache by context too: the same wrapped key under another context goes to the key service', async () => {
    const inner = new CountingKeyProvider();
    const cache = new CachingKeyProvider(inner, settings, new FakeClock());
    const [k] = await wrappedKeys(inner, 1);
    await cache.decryptDataKey(k!.wrapped, k!.keyId, k!.context);
    await expect(cache.decryptDataKey(k!.wrapped, k!.keyId, contextFor('p/other', 1))).rejects.toThrow();
    expect(inner.calls.decryptDataKey).toBe(2);
  });

  it('100 concurrent misses for one wrapped key make 1 call', async () => {
    const inner = new CountingKeyProvider();
    const cache = new CachingKeyProvider(inner, settings, new FakeClock());
    const [k] = await wrappedKeys(inner, 1);
    const results = await Promise.all(
      Array.from({ length: 100 }, () => cache.decryptDataKey(k!.wrapped, k!.keyId, k!.context)),
    );
    expect(inner.calls.decryptDataKey).toBe(1);
    for (const r of results) expect(r).toEqual(k!.plaintext);
    // Each waiter got its own buffer: zeroing one does not affect the others.
    results[0]!.fill(0);
    expect(results[1]).toEqual(k!.plaintext);
  });

  it('a failed call rejects all its waiters and is not cached', async () => {
    const inner = new CountingKeyProvider().failNext('decryptDataKey', new DependencyError('kms', 'throttled'));
    const cache = new CachingKeyProvider(inner, settings, new FakeClock());
    const [k] = await wrappedKeys(inner, 1);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () => cache.decryptDataKey(k!.wrapped, k!.keyId, k!.context)),
    );
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason instanceof DependencyError)).toBe(true);
    expect(inner.calls.decryptDataKey).toBe(1);
    expect(cache.size).toBe(0);
    await expect(cache.decryptDataKey(k!.wrapped, k!.keyId, k!.context)).resolves.toEqual(k!.plaintext);
    expect(inner.calls.decryptDataKey).toBe(2);
  });

  it('with the cache off every read makes 1 Decrypt', async () => {
    const inner = new CountingKeyProvider();
    const t = coreVault({ keys: new CachingKeyProvider(inner, { ...settings, maxAgeSeconds: 0 }, new FakeClock()) });
    await t.vault.put(t.admin, 'hot/secret', { value: 'v' });
    for (let i = 0; i < 20; i++) await t.vault.get(t.admin, 'hot/secret');
    expect(inner.calls.decryptDataKey).toBe(20);
  });

  it('with the cache on, 1,000 sequential hot reads make 1 Decrypt and writes still get a fresh data key each', async () => {
    const inner = new CountingKeyProvider();
    const t = coreVault({ keys: new CachingKeyProvider(inner, settings, new FakeClock()) });
    await t.vault.put(t.admin, 'hot/secret', { value: 'v' });
    for (let i = 0; i < 1000; i++) await t.vault.get(t.admin, 'hot/secret');
    expect(inner.calls.decryptDataKey).toBe(1);
    for (let i = 0; i < 5; i++) await t.vault.put(t.admin, 'hot/secret', { value: `v${i}` });
    expect(inner.calls.generateDataKey).toBe(6);
  });

  it('the cache never weakens the envelope: a tampered ciphertext still fails with a hot key', async () => {
    const inner = new CountingKeyProvider();
    const cache = new CachingKeyProvider(inner, settings, new FakeClock());
    const context = contextFor('a/b', 1);
    const envelope = await seal(cache, Buffer.from('"v"'), context);
    await open(cache, envelope, context);
    const ct = Buffer.from(envelope.ct);
    ct[0]! ^= 1;
    await expect(open(cache, { ...envelope, ct }, context)).rejects.toMatchObject({ code: 'integrity_error' });
  });

  it('counts what metrics report: hits, misses and key-service calls agree with the provider behind it', async () => {
    const inner = new CountingKeyProvider();
    const cache = new CachingKeyProvider(inner, settings, new FakeClock());
    const t = coreVault({ keys: cache });
    await t.vault.put(t.admin, 'hot/secret', { value: 'v' });
    for (let i = 0; i < 10; i++) await t.vault.get(t.admin, 'hot/secret');
    await Promise.all(Array.from({ length: 5 }, () => t.vault.get(t.admin, 'hot/secret')));
    await t.vault.rewrap(t.admin, 'hot/secret');
    expect(cache.counts()).toEqual({
      cacheHits: 14,
      cacheMisses: 1,
      keyServiceCalls: {
        generateDataKey: inner.calls.generateDataKey,
        decryptDataKey: inner.calls.decryptDataKey,
        rewrapDataKey: inner.calls.rewrapDataKey,
      },
    });
    expect(cache.counts().keyServiceCalls.decryptDataKey).toBe(1);
    const off = new CachingKeyProvider(new CountingKeyProvider(), { ...settings, maxAgeSeconds: 0 }, new FakeClock());
    const u = coreVault({ keys: off });
    await u.vault.put(u.admin, 'cold/secret', { value: 'v' });
    for (let i = 0; i < 3; i++) await u.vault.get(u.admin, 'cold/secret');
    expect(off.counts()).toMatchObject({ cacheHits: 0, cacheMisses: 3 });
  });
});
