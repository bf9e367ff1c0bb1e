import { coreVault } from '../support/vault';

const DAY = 86_400_000;

describe('rotation-due report', () => {
  async function listDue(t: ReturnType<typeof coreVault>, prefix = '') {
    const paths: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await t.vault.list(t.admin, { prefix, limit: 100, rotationDue: true, ...(cursor && { cursor }) });
      paths.push(...page.items.map((i) => i.path));
      cursor = page.cursor;
    } while (cursor);
    return paths;
  }

  it('an age just under the period is not due; just over is', async () => {
    const t = coreVault({ rotationDays: 30 });
    await t.vault.put(t.admin, 'rot/a', { value: 'v' });
    t.clock.advance(30 * DAY - 1);
    expect(await listDue(t)).toEqual([]);
    t.clock.advance(2);
    expect(await listDue(t)).toEqual(['rot/a']);
    expect((await t.vault.describe(t.admin, 'rot/a')).rotationDueAt).toBe(
      new Date(Date.parse('2026-01-01T00:00:00.000Z') + 30 * DAY).toISOString(),
    );
  });

  it('writing a new version resets the age; a per-secret override wins and sticks', async () => {
    const t = coreVault({ rotationDays: 30 });
    await t.vault.put(t.admin, 'rot/weekly', { value: 'v', rotationDays: 7 });
    await t.vault.put(t.admin, 'rot/monthly', { value: 'v' });
    t.clock.advance(7 * DAY + 1);
    expect(await listDue(t)).toEqual(['rot/weekly']);
    await t.vault.put(t.admin, 'rot/weekly', { value: 'rotated' });
    expect(await listDue(t)).toEqual([]);
    expect((await t.vault.describe(t.admin, 'rot/weekly')).rotationDays).toBe(7);
    t.clock.advance(7 * DAY + 1);
    expect(await listDue(t)).toEqual(['rot/weekly']);
    t.clock.advance(16 * DAY);
    expect((await listDue(t)).sort()).toEqual(['rot/monthly', 'rot/weekly']);
    expect(await listDue(t, 'rot/m')).toEqual(['rot/monthly']);
  });
});
