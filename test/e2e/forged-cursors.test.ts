import { testApp } from '../support/app';
import { dynamo, stopDynamo } from '../support/dynamo';
import { expectErrorBody } from '../support/error-body';

afterAll(stopDynamo);
beforeAll(() => dynamo());

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const key = (pk: string, extra: Record<string, unknown> = {}) => ({
  pk: { S: pk },
  sk: { S: 'HEAD' },
  lst: { S: 'HEAD' },
  ...extra,
});
const due = (when: string) => ({ due: { S: when } });

/**
 * Today's cursors are plain base64url JSON; until they are sealed, any cursor the vault did not
 * issue for this listing is a 400 "invalid cursor" and never reaches DynamoDB, which answers a
 * start key outside the query with a ValidationException (a 500).
 */
describe('listing cursors: a forged or damaged cursor is 400 invalid cursor, never a 500', () => {
  it.each([
    ['an empty pk', 'path:', b64({ q: 'path:', k: key('') })],
    ['a pk outside the prefix', 'path:team-a/', b64({ q: 'path:team-a/', k: key('team-c/x') })],
    ['a pk before the prefix', 'path:team-a/', b64({ q: 'path:team-a/', k: key('a') })],
    ['a pk that is no path', 'path:', b64({ q: 'path:', k: key('\ud800') })],
    [
      'the rotation index shape on a path listing',
      'path:',
      b64({ q: 'path:', k: key('a', due('2026-01-01T00:00:00.000Z')) }),
    ],
    ['a rotation cursor without due', 'due:', b64({ q: 'due:', k: key('a') })],
    ['a rotation cursor with an empty due', 'due:', b64({ q: 'due:', k: key('a', due('')) })],
    [
      'a rotation cursor with a due after now',
      'due:',
      b64({ q: 'due:', k: key('a', due('2999-01-01T00:00:00.000Z')) }),
    ],
    [
      'a rotation cursor outside the prefix',
      'due:team-a/',
      b64({ q: 'due:team-a/', k: key('b', due('2000-01-01T00:00:00.000Z')) }),
    ],
    ['a sort key other than HEAD', 'path:', b64({ q: 'path:', k: { ...key('a'), sk: { S: 'V#1' } } })],
    ['another list partition', 'path:', b64({ q: 'path:', k: { ...key('a'), lst: { S: 'X' } } })],
    ['another listing', 'path:team-a/', b64({ q: 'path:team-b/', k: key('team-a/x') })],
    ['not base64 JSON', 'path:', '!!!!'],
  ])('%s', async (_name, shape, cursor) => {
    const t = await testApp();
    await t.as().put('/v1/secrets/team-a/x', { value: 'x' });
    const prefix = shape.slice(shape.indexOf(':') + 1);
    const query = new URLSearchParams({ prefix, cursor, ...(shape.startsWith('due:') && { rotationDue: 'true' }) });
    const res = await t.as().get(`/v1/metadata?${query}`);
    expectErrorBody(res, 400, 'validation_error');
    expect(res.body.error.message).toBe('invalid cursor');
  });

  it('an issued cursor still pages, on both indexes', async () => {
    const t = await testApp();
    for (const name of ['a', 'b', 'c']) await t.as().put(`/v1/secrets/team-a/${name}`, { value: 'x' });
    t.clock.advance(31 * 86_400_000);
    for (const rotation of ['', '&rotationDue=true']) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await t
          .as()
          .get(`/v1/metadata?prefix=team-a/&limit=1${rotation}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        seen.push(...page.body.items.map((i: { path: string }) => i.path));
        cursor = page.body.cursor;
      } while (cursor);
      expect(seen).toEqual(['team-a/a', 'team-a/b', 'team-a/c']);
    }
  });
});
