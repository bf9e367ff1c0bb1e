import { parsePolicy } from '../../src/core/policy';
import type { Caller } from '../../src/core/vault';
import { CountingKeyProvider } from '../support/counting-key-provider';
import { flipBit, peekCursor } from '../support/cursors';
import { ADMIN, FakeClock } from '../support/fakes';
import { MemorySecretStore } from '../support/memory-store';
import { coreVault } from '../support/vault';

const TENANT_A = 'arn:aws:iam::111122223333:role/team-a';
const TENANT_A2 = 'arn:aws:iam::111122223333:role/team-a-too';
const policy = parsePolicy({
  rules: [
    { principals: [ADMIN], actions: ['write', 'describe', 'list', 'read'], paths: ['*'] },
    { principals: [TENANT_A, TENANT_A2], actions: ['list', 'describe'], paths: ['team-a/*'] },
  ],
});
const tenantA: Caller = { principal: TENANT_A, requestId: 'a' };
const tenantA2: Caller = { principal: TENANT_A2, requestId: 'a2' };

/** team-a holds 12 secrets among 300 of other tenants, spread so every store page mixes them. */
async function crowdedStore() {
  const store = new MemorySecretStore();
  const keys = new CountingKeyProvider();
  const clock = new FakeClock();
  const t = coreVault({ store, keys, clock, policy });
  for (let i = 0; i < 300; i++) {
    const team = ['team-b', 'team-c', 'team-d'][i % 3];
    await t.vault.put(t.admin, `${team}/cust-${String(i).padStart(4, '0')}/api-key`, { value: 'v', rotationDays: 1 });
  }
  for (let i = 0; i < 12; i++) {
    await t.vault.put(t.admin, `team-a/cust-${String(i * 25).padStart(4, '0')}/api-key`, {
      value: 'v',
      rotationDays: 1,
    });
  }
  return { ...t, store, keys, clock };
}

async function pages(
  t: Awaited<ReturnType<typeof crowdedStore>>,
  caller: Caller,
  query: { prefix: string; limit: number; rotationDue?: boolean },
) {
  const seen: string[] = [];
  const cursors: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await t.vault.list(caller, { ...query, ...(cursor && { cursor }) });
    seen.push(...page.items.map((i) => i.path));
    cursor = page.cursor;
    if (cursor) cursors.push(cursor);
  } while (cursor && cursors.length < 100);
  return { seen, cursors };
}

describe('listing cursors', () => {
  it('a restricted caller paging everything sees only its own paths, and its cursors, decrypted with the vault key, hold no other path', async () => {
    const t = await crowdedStore();
    const { seen, cursors } = await pages(t, tenantA, { prefix: '', limit: 5 });
    expect(seen).toHaveLength(12);
    expect(seen.every((p) => p.startsWith('team-a/'))).toBe(true);
    expect(cursors.length).toBeGreaterThanOrEqual(2);
    for (const cursor of cursors) {
      const inside = JSON.stringify(await peekCursor(cursor, t.keys));
      expect(inside).not.toMatch(/team-[bcd]/);
      expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toMatch(/team-/);
    }
  });

  it('the rotation report of a restricted caller carries no other tenant in its cursors either', async () => {
    const t = await crowdedStore();
    t.clock.advance(2 * 86_400_000);
    const { seen, cursors } = await pages(t, tenantA, { prefix: 'team-a/', limit: 5, rotationDue: true });
    expect(seen).toHaveLength(12);
    for (const cursor of cursors) expect(JSON.stringify(await peekCursor(cursor, t.keys))).not.toMatch(/team-[bcd]/);
  });

  it('a caller who sees everything gets the rotation report in due order and every secret once', async () => {
    const t = await crowdedStore();
    t.clock.advance(2 * 86_400_000);
    const { seen } = await pages(t, t.admin, { prefix: '', limit: 50, rotationDue: true });
    expect(new Set(seen).size).toBe(312);
  });

  describe('a cursor is refused with 400 invalid cursor and no store call when it is', () => {
    async function issued() {
      const t = await crowdedStore();
      const first = await t.vault.list(tenantA, { prefix: '', limit: 5 });
      expect(first.cursor).toBeDefined();
      const before = { reads: t.store.reads, decrypts: t.keys.calls.decryptDataKey };
      const refused = async (
        caller: Caller,
        query: { prefix: string; limit: number; rotationDue?: boolean; cursor: string },
      ) => {
        await expect(t.vault.list(caller, query)).rejects.toMatchObject({
          code: 'validation_error',
          message: 'invalid cursor',
        });
        expect(t.store.reads).toBe(before.reads);
      };
      return { t, cursor: first.cursor!, refused };
    }

    it('changed in any one bit', async () => {
      const { cursor, refused } = await issued();
      const bits = Buffer.from(cursor, 'base64url').length * 8;
      for (let bit = 0; bit < bits; bit += 7)
        await refused(tenantA, { prefix: '', limit: 5, cursor: flipBit(cursor, bit) });
    });

    it('replayed by another principal with the same rights', async () => {
      const { cursor, refused } = await issued();
      await refused(tenantA2, { prefix: '', limit: 5, cursor });
    });

    it('used on another query: prefix, limit or rotation filter', async () => {
      const { cursor, refused } = await issued();
      await refused(tenantA, { prefix: 'team-a/', limit: 5, cursor });
      await refused(tenantA, { prefix: '', limit: 6, cursor });
      await refused(tenantA, { prefix: '', limit: 5, rotationDue: true, cursor });
    });

    it('older than an hour', async () => {
      const { t, cursor, refused } = await issued();
      t.clock.advance(3600_000);
      await refused(tenantA, { prefix: '', limit: 5, cursor });
    });

    it.each([
      ['garbage', 'not-a-cursor'],
      [
        'empty JSON of the old plain format',
        Buffer.from('{"q":"path:","k":{"pk":{"S":"team-c/x"}}}').toString('base64url'),
      ],
      ['a truncated token', 'AQ'],
      ['base64 padding and symbols', 'AQ==+/'],
    ])('%s', async (_name, forged) => {
      const { refused } = await issued();
      await refused(tenantA, { prefix: '', limit: 5, cursor: forged });
    });
  });

  it('a cursor one vault instance issued is accepted by another of the same deployment', async () => {
    const t = await crowdedStore();
    const first = await t.vault.list(tenantA, { prefix: '', limit: 5 });
    // Another instance: same store and key provider, its own cursor key in memory.
    const other = coreVault({ store: t.store, keys: t.keys, clock: t.clock, policy });
    const decryptsBefore = t.keys.calls.decryptDataKey;
    const second = await other.vault.list(tenantA, { prefix: '', limit: 5, cursor: first.cursor! });
    expect(second.items.map((i) => i.path)).toEqual([
      'team-a/cust-0125/api-key',
      'team-a/cust-0150/api-key',
      'team-a/cust-0175/api-key',
      'team-a/cust-0200/api-key',
      'team-a/cust-0225/api-key',
    ]);
    // One unwrap of the first instance's cursor key; its own cursors then cost nothing.
    expect(t.keys.calls.decryptDataKey - decryptsBefore).toBe(1);
    await other.vault.list(tenantA, { prefix: '', limit: 5, cursor: second.cursor! });
    expect(t.keys.calls.decryptDataKey - decryptsBefore).toBe(1);
  });

  it('a caller with an exact-path rule lists that secret alone, even when siblings share its prefix', async () => {
    const store = new MemorySecretStore();
    const exact = 'arn:aws:iam::111122223333:role/one-key';
    const t = coreVault({
      store,
      policy: parsePolicy({
        rules: [
          { principals: [ADMIN], actions: ['write'], paths: ['*'] },
          { principals: [exact], actions: ['list', 'describe'], paths: ['k/user-1'] },
        ],
      }),
    });
    for (const path of ['k/user-1', 'k/user-10', 'k/user-1x', 'k/user-2'])
      await t.vault.put(t.admin, path, { value: 'v' });
    const page = await t.vault.list({ principal: exact, requestId: 'x' }, { prefix: 'k/', limit: 10 });
    expect(page).toEqual({ items: [expect.objectContaining({ path: 'k/user-1' })] });
  });
});
