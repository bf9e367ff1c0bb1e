import { parsePolicy } from '../../src/core/policy';
import { testApp } from '../support/app';
import { flipBit, peekCursor } from '../support/cursors';
import { stopDynamo } from '../support/dynamo';
import { ADMIN } from '../support/fakes';

afterAll(stopDynamo);

const TEAM_A = 'arn:aws:iam::111122223333:role/team-a';
const policy = parsePolicy({
  rules: [
    { principals: [ADMIN], actions: ['write', 'describe', 'list'], paths: ['*'] },
    { principals: [TEAM_A], actions: ['list', 'describe'], paths: ['team-a/*'] },
  ],
});

describe('listing cursors over HTTP on dynalite', () => {
  it('a tenant paging the whole vault gets only its own secrets, and no cursor holds another tenant, even decrypted', async () => {
    const t = await testApp({ policy });
    for (let i = 0; i < 90; i++) {
      const team = i % 10 === 0 ? 'team-a' : ['team-b', 'team-c'][i % 2];
      await t.as().put(`/v1/secrets/${team}/cust-${String(i).padStart(4, '0')}/api-key`, { value: 'v' });
    }
    const seen: string[] = [];
    const cursors: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await t.as(TEAM_A).get(`/v1/metadata?prefix=&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((i: { path: string }) => i.path));
      cursor = res.body.cursor;
      if (cursor) cursors.push(cursor);
    } while (cursor);
    expect(seen).toHaveLength(9);
    expect(seen.every((p) => p.startsWith('team-a/'))).toBe(true);
    expect(cursors.length).toBeGreaterThanOrEqual(2);
    for (const c of cursors) expect(JSON.stringify(await peekCursor(c, t.keys))).not.toMatch(/team-[bc]/);

    // Changed or replayed by the admin, the same cursor is a 400 with the error shape, never a 500.
    for (const [who, bad] of [
      [TEAM_A, flipBit(cursors[0]!, 3)],
      [ADMIN, cursors[0]!],
      [TEAM_A, 'eyJxIjoicGF0aDoiLCJrIjp7InBrIjp7IlMiOiIifX19'],
    ] as const) {
      const res = await t.as(who).get(`/v1/metadata?prefix=&limit=3&cursor=${bad}`);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'validation_error', message: 'invalid cursor' });
    }
  });

  it('a caller with only write gets path and version from a write, and "cas mismatch" from a conflict', async () => {
    const WRITER = 'arn:aws:iam::111122223333:role/user-api';
    const t = await testApp({
      policy: parsePolicy({
        rules: [
          { principals: [ADMIN], actions: ['write', 'describe'], paths: ['*'] },
          { principals: [WRITER], actions: ['write'], paths: ['*'] },
        ],
      }),
    });
    await t.as().put('/v1/secrets/k/one', { value: 'v', labels: { owner: 'platform' } });
    const wrote = await t.as(WRITER).put('/v1/secrets/k/one', { value: 'v2' });
    expect(wrote.status).toBe(200);
    expect(wrote.body).toEqual({ path: 'k/one', version: 2 });
    const conflict = await t.as(WRITER).put('/v1/secrets/k/one', { value: 'v3', cas: 1 });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.message).toBe('cas mismatch');
  });
});
