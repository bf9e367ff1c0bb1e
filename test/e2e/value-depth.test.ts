import request from 'supertest';
import { MAX_VALUE_DEPTH, nestsDeeperThan } from '../../src/adapters/http/body';
import { testApp } from '../support/app';
import { dynamo, stopDynamo } from '../support/dynamo';
import { expectErrorBody } from '../support/error-body';
import { ADMIN } from '../support/fakes';

afterAll(stopDynamo);
beforeAll(() => dynamo());

const PATH = 'exchange-keys/user-1842/binance-main';

/** A value nested `depth` levels deep, as JSON text; the value object itself is level 1. */
function nested(depth: number, kind: 'object' | 'array' | 'mixed' = 'object'): string {
  let inner = '"leaf"';
  for (let level = depth; level >= 2; level--) {
    const asArray = kind === 'array' || (kind === 'mixed' && level % 2 === 0);
    inner = asArray ? `[${inner}]` : `{"k":${inner}}`;
  }
  return `{"k":${inner}}`;
}

/** A JSON request whose body is sent byte for byte as given. */
function sendText(app: Parameters<typeof request>[0], method: 'put' | 'post', url: string, body: string) {
  return request(app)[method](url).set('x-test-principal', ADMIN).set('content-type', 'application/json').send(body);
}

describe('value nesting depth: at most 64 levels, checked without recursion before any schema runs', () => {
  it('is 64 levels', () => {
    expect(MAX_VALUE_DEPTH).toBe(64);
  });

  it.each(['object', 'array', 'mixed'] as const)(
    'accepts a %s value nested exactly 64 levels and reads it back',
    async (kind) => {
      const t = await testApp();
      const value = nested(MAX_VALUE_DEPTH, kind);
      expect((await sendText(t.app, 'put', `/v1/secrets/${PATH}`, `{"value":${value}}`)).status).toBe(201);
      expect(JSON.stringify((await t.as().get(`/v1/secrets/${PATH}`)).body.value)).toBe(value);
    },
  );

  // 1,500 to 2,500 levels used to overflow zod's stack (500); beyond that the JSON reviver's.
  it.each([65, 100, 1000, 1500, 2000, 2500, 3000, 9000])('refuses a value nested %d levels with 400', async (depth) => {
    const t = await testApp();
    for (const kind of ['object', 'array', 'mixed'] as const) {
      const res = await sendText(t.app, 'put', `/v1/secrets/${PATH}`, `{"value":${nested(depth, kind)}}`);
      expectErrorBody(res, 400, 'validation_error');
      expect(res.body.error.message).toMatch(/64 levels/);
    }
    expect(await t.scan()).toEqual([]);
    expect(t.logger.records.filter((r) => r.type === 'error')).toEqual([]);
  });

  it('counts brackets only outside strings, escaped quotes and backslashes included', async () => {
    const t = await testApp();
    const text = `${'['.repeat(3000)}"${'{'.repeat(3000)}\\`;
    const value = { text, inner: JSON.parse(nested(MAX_VALUE_DEPTH - 1)) };
    expect((await t.as().put(`/v1/secrets/${PATH}`, { value })).status).toBe(201);
    expect((await t.as().get(`/v1/secrets/${PATH}`)).body.value).toEqual(value);
  });

  it('refuses deep nesting anywhere in any body, not only in value', async () => {
    const t = await testApp();
    const deep = '['.repeat(2000) + ']'.repeat(2000);
    for (const body of [`{"versions":${deep}}`, deep, `{"labels":${nested(2000)}}`, `{"value":"x","cas":${deep}}`]) {
      expectErrorBody(await sendText(t.app, 'post', `/v1/destroy/${PATH}`, body), 400, 'validation_error');
      expectErrorBody(await sendText(t.app, 'put', `/v1/secrets/${PATH}`, body), 400, 'validation_error');
    }
  });

  it('nestsDeeperThan scans bytes: depth outside strings only, escapes skipped', () => {
    const deeper = (text: string, max: number) => nestsDeeperThan(Buffer.from(text), max);
    expect(deeper('{"a":[1,{"b":[]}]}', 4)).toBe(false);
    expect(deeper('{"a":[1,{"b":[]}]}', 3)).toBe(true);
    expect(deeper('{"a":"[[[[{{{{"}', 1)).toBe(false);
    expect(deeper('{"a":"\\"[[[["}', 1)).toBe(false);
    expect(deeper('{"a":"\\\\"}', 1)).toBe(false);
    expect(deeper('{"a":"\\\\","b":[[1]]}', 2)).toBe(true);
    expect(deeper(`{"k":"${'é'.repeat(100)}[["}`, 1)).toBe(false);
  });
});
