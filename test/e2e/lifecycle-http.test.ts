import { testApp } from '../support/app';
import { dynamo, stopDynamo } from '../support/dynamo';
import { FakeClock } from '../support/fakes';

afterAll(stopDynamo);
beforeAll(() => dynamo());

const DAY = 86_400_000;

describe('lifecycle over HTTP on dynalite', () => {
  it('delete, undelete, destroy and erase-all, with 410 carrying the state and raw items left empty', async () => {
    const t = await testApp();
    const api = t.as();
    for (let i = 1; i <= 3; i++) await api.put('/v1/secrets/exchange-keys/u9/kraken', { value: `v${i}` });

    const deleted = await api.delete('/v1/secrets/exchange-keys/u9/kraken?versions=1,2');
    expect(deleted.status).toBe(200);
    expect(deleted.body.versions.map((v: { state: string }) => v.state)).toEqual(['deleted', 'deleted', 'active']);
    expect((await api.get('/v1/secrets/exchange-keys/u9/kraken?version=1')).body.error.code).toBe('version_deleted');
    expect((await api.get('/v1/secrets/exchange-keys/u9/kraken?version=1')).status).toBe(410);

    expect((await api.post('/v1/undelete/exchange-keys/u9/kraken', { versions: [2] })).status).toBe(200);
    expect((await api.get('/v1/secrets/exchange-keys/u9/kraken?version=2')).body.value).toBe('v2');

    expect((await api.post('/v1/destroy/exchange-keys/u9/kraken', { versions: [1, 3], cas: 2 })).status).toBe(409);
    const destroyed = await api.post('/v1/destroy/exchange-keys/u9/kraken', { versions: [1, 3], cas: 3 });
    expect(destroyed.status).toBe(200);
    const read = await api.get('/v1/secrets/exchange-keys/u9/kraken');
    expect(read.status).toBe(410);
    expect(read.body.error.code).toBe('version_destroyed');
    expect((await api.get('/v1/secrets/exchange-keys/u9/kraken?version=4')).status).toBe(404);

    // Destroyed versions have no ciphertext or wrapped key left in any raw item.
    const items = await t.scan();
    const v1 = items.find((i) => i.sk!.S === 'V#0000000001')!;
    expect(v1).toBeDefined();
    expect(Object.keys(v1).sort()).toEqual(['erased', 'pk', 'sk']);
    const head = items.find((i) => i.sk!.S === 'HEAD')!;
    expect(head.ct).toBeUndefined();
    expect(head.edk).toBeUndefined();
    expect(items.find((i) => i.sk!.S === 'V#0000000002')!.ct).toBeDefined();

    expect((await api.post('/v1/undelete/exchange-keys/u9/kraken', { versions: [1] })).status).toBe(410);
    expect((await api.post('/v1/undelete/exchange-keys/u9/kraken', { versions: [9] })).status).toBe(404);
    expect((await api.post('/v1/destroy/exchange-keys/u9/kraken', { versions: [] })).status).toBe(400);
    expect((await api.delete('/v1/secrets/exchange-keys/u9/kraken?versions=0')).status).toBe(400);

    expect((await api.delete('/v1/metadata/exchange-keys/u9/kraken?cas=2')).status).toBe(409);
    expect((await api.delete('/v1/metadata/exchange-keys/u9/kraken')).status).toBe(204);
    expect(await t.scan()).toHaveLength(0);
    expect((await api.get('/v1/metadata/exchange-keys/u9/kraken')).status).toBe(404);
  });

  it('retention on dynalite: at most maxVersions retained, older items gone from the table', async () => {
    const t = await testApp({ maxVersions: 3, retentionMinAgeHours: 0 });
    for (let i = 1; i <= 8; i++) await t.as().put('/v1/secrets/keep/three', { value: `v${i}` });
    const items = await t.scan();
    expect(items.map((i) => i.sk!.S).sort()).toEqual(['HEAD', 'V#0000000006', 'V#0000000007']);
    expect((await t.as().get('/v1/secrets/keep/three?version=5')).body.error.code).toBe('version_destroyed');
    expect((await t.as().get('/v1/secrets/keep/three?version=6')).body.value).toBe('v6');
  });

  it('rotation-due report pages across 250 secrets from the index', async () => {
    const clock = new FakeClock(new Date('2026-01-01T00:00:00.000Z'));
    const t = await testApp({ clock });
    for (let i = 0; i < 250; i++) {
      await t.as().put(`/v1/secrets/rot/s${String(i).padStart(3, '0')}`, {
        value: 'v',
        ...(i % 5 === 0 && { rotationDays: 90 }),
      });
    }
    clock.advance(30 * DAY + 1);
    const due: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await t
        .as()
        .get(`/v1/metadata?rotationDue=true&limit=37${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(37);
      for (const item of res.body.items)
        expect(Date.parse(item.rotationDueAt)).toBeLessThanOrEqual(clock.now().getTime());
      due.push(...res.body.items.map((i: { path: string }) => i.path));
      cursor = res.body.cursor;
      pages += 1;
    } while (cursor && pages < 50);
    expect(due).toHaveLength(200);
    expect(new Set(due).size).toBe(200);
    expect(pages).toBeGreaterThanOrEqual(6);
    expect(due).not.toContain('rot/s000');
    const described = await t.as().get('/v1/metadata/rot/s000');
    expect(described.body.rotationDays).toBe(90);
    expect(described.body.rotationDueAt).toBe('2026-04-01T00:00:00.000Z');
  });
});
