import { testApp } from '../support/app';
import { dynamo, stopDynamo } from '../support/dynamo';

afterAll(stopDynamo);
beforeAll(() => dynamo());

const PATH = 'exchange-keys/user-1842/binance-main';

describe('conditional request headers are ignored: a read returns the value or an error, never a 304', () => {
  it.each([
    ['if-none-match', '*'],
    ['if-none-match', 'W/"anything"'],
    ['if-modified-since', new Date(Date.now() + 86_400_000).toUTCString()],
  ])('%s: %s', async (header, value) => {
    const t = await testApp();
    await t.as().put(`/v1/secrets/${PATH}`, { value: 's3cret' });
    const read = await t.as().get(`/v1/secrets/${PATH}`).set(header, value);
    expect(read.status).toBe(200);
    expect(read.body.value).toBe('s3cret');
    const described = await t.as().get(`/v1/metadata/${PATH}`).set(header, value);
    expect(described.status).toBe(200);
    expect(described.body.path).toBe(PATH);
    const listed = await t.as().get('/v1/metadata').set(header, value);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(1);
  });
});
