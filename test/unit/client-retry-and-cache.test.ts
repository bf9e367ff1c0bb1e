import { VaultClient, VaultClientError, type VaultClientOptions } from '../../src/client';
import type { RetryClock } from '../../src/client/retry';

const KEY = { accessKeyId: 'AKLVCLIENTUNIT234567', secretAccessKey: 'client-unit-secret-0123456789abcdefghij' };

/** Time that moves only when the client sleeps: every wait is recorded, none is real. */
class FakeClock implements RetryClock {
  current = 1_800_000_000_000;
  readonly sleeps: number[] = [];
  now(): number {
    return this.current;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.current += ms;
  }
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

/** A fetch that answers from a script (the last answer repeats) and records each request. */
function scriptedFetch(...answers: Answer[]) {
  const requests: Array<{ method: string; url: string }> = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    requests.push({ method: String(init?.method), url: String(input) });
    const answer = answers[Math.min(requests.length - 1, answers.length - 1)]!;
    if (answer instanceof Error) throw answer;
    const body = answer.body === undefined ? null : JSON.stringify(answer.body);
    return new Response(body, {
      status: answer.status,
      headers: { 'content-type': 'application/json', ...answer.headers },
    });
  };
  return { fetch: fetch as typeof globalThis.fetch, requests };
}

const SECRET = { path: 'a/b', version: 1, value: { pw: 'x' }, createdAt: 't', createdBy: 'p' };
const META = { path: 'a/b', version: 2 };
const UNAVAILABLE = (retryAfter?: string): Answer => ({
  status: 503,
  body: { error: { code: 'dependency_unavailable', message: 'later', requestId: 'r' } },
  ...(retryAfter !== undefined && { headers: { 'retry-after': retryAfter } }),
});

function client(fetch: typeof globalThis.fetch, clock: FakeClock, extra: Partial<VaultClientOptions> = {}) {
  return new VaultClient({
    endpoint: 'http://vault.test',
    region: 'us-east-1',
    credentials: KEY,
    fetch,
    clock,
    ...extra,
  });
}

describe('client retries', () => {
  it('a read retried after 503 waits what Retry-After says, then succeeds', async () => {
    const clock = new FakeClock();
    const { fetch, requests } = scriptedFetch(UNAVAILABLE('2'), { status: 200, body: SECRET });
    await expect(client(fetch, clock).getSecret('a/b')).resolves.toEqual(SECRET);
    expect(requests).toHaveLength(2);
    expect(clock.sleeps).toEqual([2000]);
  });

  it('429 is retried too, and an HTTP-date Retry-After is honoured', async () => {
    const clock = new FakeClock();
    const at = new Date(clock.current + 3000).toUTCString();
    const { fetch, requests } = scriptedFetch(
      { status: 429, headers: { 'retry-after': at } },
      { status: 200, body: SECRET },
    );
    await client(fetch, clock).getSecret('a/b');
    expect(requests).toHaveLength(2);
    expect(clock.sleeps[0]).toBeGreaterThan(1000);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(3000);
  });

  it('gives up after maxAttempts, with the last answer as the error', async () => {
    const clock = new FakeClock();
    const { fetch, requests } = scriptedFetch(UNAVAILABLE());
    const error = await client(fetch, clock, { retry: { maxAttempts: 4 } })
      .describeSecret('a/b')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultClientError);
    expect(error).toMatchObject({ status: 503, code: 'dependency_unavailable' });
    expect(requests).toHaveLength(4);
    expect(clock.sleeps).toHaveLength(3);
    // Without Retry-After: jittered exponential back-off from baseDelayMs (100): 50-100, 100-200, 200-400.
    clock.sleeps.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(50 * 2 ** i);
      expect(ms).toBeLessThanOrEqual(100 * 2 ** i);
    });
  });

  it('never waits past maxElapsedMs: a Retry-After beyond the budget ends the retries at once', async () => {
    const clock = new FakeClock();
    const { fetch, requests } = scriptedFetch(UNAVAILABLE('1'), UNAVAILABLE('30'), { status: 200, body: SECRET });
    await expect(
      client(fetch, clock, { retry: { maxAttempts: 10, maxElapsedMs: 10_000 } }).getSecret('a/b'),
    ).rejects.toMatchObject({
      status: 503,
    });
    expect(requests).toHaveLength(2);
    expect(clock.sleeps).toEqual([1000]);
    expect(clock.current - 1_800_000_000_000).toBeLessThanOrEqual(10_000);
  });

  it('a write without cas is sent once (it may have landed); with cas it is retried', async () => {
    const clock = new FakeClock();
    const once = scriptedFetch(UNAVAILABLE('1'), { status: 200, body: META });
    await expect(client(once.fetch, clock).putSecret('a/b', 'v')).rejects.toMatchObject({ status: 503 });
    expect(once.requests).toHaveLength(1);
    const withCas = scriptedFetch(UNAVAILABLE('1'), { status: 200, body: META });
    await expect(client(withCas.fetch, clock).putSecret('a/b', 'v', { cas: 1 })).resolves.toEqual(META);
    expect(withCas.requests).toHaveLength(2);
    const exchangeKey = scriptedFetch(UNAVAILABLE('1'), { status: 200, body: META });
    await expect(
      client(exchangeKey.fetch, clock).putExchangeKey('a/b', 'okx', { apiKey: 'k', secretKey: 's', passphrase: 'p' }),
    ).rejects.toMatchObject({ status: 503 });
    expect(exchangeKey.requests).toHaveLength(1);
    for (const call of [
      (c: VaultClient) => c.deleteSecret('a/b'),
      (c: VaultClient) => c.undeleteSecret('a/b', [1]),
      (c: VaultClient) => c.destroySecret('a/b', [1]),
      (c: VaultClient) => c.deleteMetadata('a/b'),
      (c: VaultClient) => c.rewrap('a/b'),
    ]) {
      const f = scriptedFetch(UNAVAILABLE('1'));
      await expect(call(client(f.fetch, clock))).rejects.toMatchObject({ status: 503 });
      expect(f.requests).toHaveLength(1);
    }
  });

  it('a re-check is retried (asking the exchange twice records the same kind of answer)', async () => {
    const clock = new FakeClock();
    const answer = { ...META, check: null, flagged: [] };
    const { fetch, requests } = scriptedFetch(UNAVAILABLE('1'), new TypeError('fetch failed'), {
      status: 200,
      body: answer,
    });
    await expect(client(fetch, clock).recheckExchangeKey('a/b')).resolves.toEqual(answer);
    expect(requests.map((r) => r.method)).toEqual(['POST', 'POST', 'POST']);
  });

  it('a network failure is retried for a read, not for a write without cas', async () => {
    const clock = new FakeClock();
    const read = scriptedFetch(new TypeError('fetch failed'), { status: 200, body: SECRET });
    await expect(client(read.fetch, clock).getSecret('a/b')).resolves.toEqual(SECRET);
    expect(read.requests).toHaveLength(2);
    const write = scriptedFetch(new TypeError('fetch failed'), { status: 200, body: META });
    await expect(client(write.fetch, clock).putSecret('a/b', 'v')).rejects.toThrow('fetch failed');
    expect(write.requests).toHaveLength(1);
  });

  it('other errors are not retried', async () => {
    const clock = new FakeClock();
    const { fetch, requests } = scriptedFetch({
      status: 404,
      body: { error: { code: 'not_found', message: 'm', requestId: 'r' } },
    });
    await expect(client(fetch, clock).getSecret('a/b')).rejects.toMatchObject({ status: 404 });
    expect(requests).toHaveLength(1);
  });
});

describe('client read cache', () => {
  const cache = { ttlSeconds: 60, maxEntries: 2 };

  it('1,000 reads of one secret make one HTTP request (sequential and concurrent)', async () => {
    const clock = new FakeClock();
    const { fetch, requests } = scriptedFetch({ status: 200, body: SECRET });
    const c = client(fetch, clock, { cache });
    for (let i = 0; i < 1000; i++) await c.getSecret('a/b');
    expect(requests).toHaveLength(1);
    const other = scriptedFetch({ status: 200, body: SECRET });
    const d = client(other.fetch, clock, { cache });
    const all = await Promise.all(Array.from({ length: 1000 }, () => d.getSecret('a/b')));
    expect(other.requests).toHaveLength(1);
    expect(all.every((r) => r.value !== undefined)).toBe(true);
  });

  it("drops a path on the client's own write (of either kind), delete, undelete, destroy and erase", async () => {
    const clock = new FakeClock();
    const { fetch, requests } = scriptedFetch({ status: 200, body: SECRET });
    const c = client(fetch, clock, { cache: { ttlSeconds: 60, maxEntries: 10 } });
    const reads = () => requests.filter((r) => r.method === 'GET').length;
    await c.getSecret('a/b');
    await c.getSecret('a/b', { version: 1 });
    await c.getSecret('a/c');
    expect(reads()).toBe(3);
    const changes = [
      () => c.putSecret('a/b', 'v2'),
      () => c.putExchangeKey('a/b', 'okx', { apiKey: 'k', secretKey: 's', passphrase: 'p' }),
      () => c.deleteSecret('a/b'),
      () => c.undeleteSecret('a/b', [1]),
      () => c.destroySecret('a/b', [1]),
      () => c.deleteMetadata('a/b'),
    ];
    let expected = 3;
    for (const change of changes) {
      await change();
      await c.getSecret('a/b');
      await c.getSecret('a/b', { version: 1 });
      await c.getSecret('a/c');
      expected += 2;
      expect(reads()).toBe(expected);
    }
  });

  it('a re-check keeps the cached value (it changes the check, never the value)', async () => {
    const clock = new FakeClock();
    const { fetch, requests } = scriptedFetch({ status: 200, body: SECRET });
    const c = client(fetch, clock, { cache });
    await c.getSecret('a/b');
    await c.recheckExchangeKey('a/b');
    await c.getSecret('a/b');
    expect(requests.map((r) => r.method)).toEqual(['GET', 'POST']);
  });

  it('a failed write drops the path too (a conflict means someone else changed it)', async () => {
    const clock = new FakeClock();
    const { fetch, requests } = scriptedFetch(
      { status: 200, body: SECRET },
      { status: 409, body: { error: { code: 'conflict', message: 'm', requestId: 'r' } } },
      { status: 200, body: SECRET },
    );
    const c = client(fetch, clock, { cache });
    await c.getSecret('a/b');
    await expect(c.putSecret('a/b', 'v', { cas: 0 })).rejects.toMatchObject({ status: 409 });
    await c.getSecret('a/b');
    expect(requests.map((r) => r.method)).toEqual(['GET', 'PUT', 'GET']);
  });

  it('drops values when their time is up, keeps at most maxEntries, and never caches an error', async () => {
    const clock = new FakeClock();
    const { fetch, requests } = scriptedFetch(
      { status: 404, body: { error: { code: 'not_found', message: 'm', requestId: 'r' } } },
      { status: 200, body: SECRET },
    );
    const c = client(fetch, clock, { cache });
    await expect(c.getSecret('a/b')).rejects.toMatchObject({ status: 404 });
    await c.getSecret('a/b');
    await c.getSecret('a/b');
    expect(requests).toHaveLength(2);
    clock.current += 60_001;
    await c.getSecret('a/b');
    expect(requests).toHaveLength(3);
    await c.getSecret('x/1');
    await c.getSecret('x/2');
    // maxEntries 2: a/b was least recently used and is gone.
    await c.getSecret('a/b');
    expect(requests).toHaveLength(6);
  });

  it('hands out copies: changing a returned value does not change the next read', async () => {
    const clock = new FakeClock();
    const { fetch } = scriptedFetch({ status: 200, body: SECRET });
    const c = client(fetch, clock, { cache });
    const first = await c.getSecret('a/b');
    (first.value as Record<string, string>).pw = 'changed';
    expect((await c.getSecret('a/b')).value).toEqual({ pw: 'x' });
  });

  it('refuses a cache with no time or no room', () => {
    const { fetch } = scriptedFetch({ status: 200 });
    expect(() => client(fetch, new FakeClock(), { cache: { ttlSeconds: 0, maxEntries: 5 } })).toThrow(RangeError);
    expect(() => client(fetch, new FakeClock(), { cache: { ttlSeconds: 5, maxEntries: 0 } })).toThrow(RangeError);
  });
});
