import { testApp } from '../support/app';
import { dynamo, stopDynamo } from '../support/dynamo';

afterAll(stopDynamo);
beforeAll(() => dynamo());

describe('lost update: concurrent writers', () => {
  it('20 concurrent PUTs without cas give 20 distinct versions, none lost', async () => {
    const t = await testApp({ maxVersions: 20 });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.as().put('/v1/secrets/race/one', { value: `writer-${i}` })),
    );
    expect(responses.map((r) => r.status).sort((a, b) => a - b)).toEqual([...Array(19).fill(200), 201]);
    const versions = responses.map((r) => r.body.version as number);
    expect(new Set(versions).size).toBe(20);
    expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Each writer's value is stored under exactly the version it was told it got.
    for (const [i, response] of responses.entries()) {
      const read = await t.as().get(`/v1/secrets/race/one?version=${response.body.version}`);
      expect(read.body.value).toBe(`writer-${i}`);
    }
    const described = await t.as().get('/v1/metadata/race/one');
    expect(described.body.version).toBe(20);
    expect(described.body.versions).toHaveLength(20);
  });

  it('20 concurrent PUTs with the same cas give exactly one success and 19 conflicts', async () => {
    const t = await testApp();
    await t.as().put('/v1/secrets/race/cas', { value: 'v1' });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.as().put('/v1/secrets/race/cas', { value: `writer-${i}`, cas: 1 })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const winner = responses.findIndex((r) => r.status === 200);
    expect((await t.as().get('/v1/secrets/race/cas')).body).toEqual(
      expect.objectContaining({ version: 2, value: `writer-${winner}` }),
    );
    for (const loser of responses.filter((r) => r.status === 409)) expect(loser.body.error.code).toBe('conflict');
  });

  it('20 concurrent first writes with cas 0 create the secret exactly once', async () => {
    const t = await testApp();
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.as().put('/v1/secrets/race/new', { value: `w${i}`, cas: 0 })),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(19);
  });
});
