import { parsePolicy } from '../../src/core/policy';
import { ADMIN } from '../support/fakes';
import { coreVault } from '../support/vault';

describe('sparse listings', () => {
  it('read whole store pages, bounded per request, and page through every visible secret exactly once', async () => {
    const reader = 'arn:aws:iam::111122223333:role/reader';
    const policy = parsePolicy({
      rules: [
        { principals: [ADMIN], actions: ['write'], paths: ['*'] },
        { principals: [reader], actions: ['list', 'describe'], paths: ['p/a/*', 'p/c/*'] },
      ],
    });
    const t = coreVault({ policy });
    for (let i = 0; i < 3; i++) await t.vault.put(t.admin, `p/a/s${i}`, { value: 'v' });
    for (let i = 0; i < 400; i++) await t.vault.put(t.admin, `p/b/s${String(i).padStart(3, '0')}`, { value: 'v' });
    for (let i = 0; i < 4; i++) await t.vault.put(t.admin, `p/c/s${i}`, { value: 'v' });
    const caller = { principal: reader, requestId: 'r' };
    const seen: string[] = [];
    let cursor: string | undefined;
    let requests = 0;
    do {
      const before = t.store.listCalls;
      const page = await t.vault.list(caller, { prefix: 'p/', limit: 2, ...(cursor && { cursor }) });
      expect(t.store.listCalls - before).toBeLessThanOrEqual(10);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.path));
      cursor = page.cursor;
      requests += 1;
    } while (cursor && requests < 50);
    expect(seen).toEqual(['p/a/s0', 'p/a/s1', 'p/a/s2', 'p/c/s0', 'p/c/s1', 'p/c/s2', 'p/c/s3']);
    // 407 secrets in pages of 25 is 17 store reads in all, not one per filtered-out secret.
    expect(t.store.listCalls).toBeLessThanOrEqual(25);
  });
});
