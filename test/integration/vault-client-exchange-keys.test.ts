import { type ExchangeCredential, type RecheckView, VaultClient, VaultClientError } from '../../src/client';
import { LOOPBACK, type StubKey } from '../stubs/exchanges';
import { loopbackKey, startVaultWithStubs, type VaultWithStubs } from '../support/exchange-vault';

// The typed client against the embedded vault, which checks each key with the stub exchanges
// over loopback: the requests, answers and errors are the real ones.

const SECRET = 'sk-client-exchange-never-shown-8d2a';
const PASSPHRASE = 'pp-client-never-shown';
const okx = (apiKey: string): ExchangeCredential => ({ apiKey, secretKey: SECRET, passphrase: PASSPHRASE });
const changing: StubKey = loopbackKey('client-okx-changing', 'trade', SECRET, PASSPHRASE);

let world: VaultWithStubs;
let client: VaultClient;

beforeAll(async () => {
  world = await startVaultWithStubs({
    okx: [
      loopbackKey('client-okx-trade', 'trade', SECRET, PASSPHRASE),
      loopbackKey('client-okx-withdraw', 'withdraw', SECRET, PASSPHRASE),
      changing,
    ],
    bybit: [loopbackKey('client-bybit-trade', 'trade', SECRET)],
  });
  client = new VaultClient({
    endpoint: world.vault.url,
    region: 'us-east-1',
    credentials: world.vault.credential,
    cache: { ttlSeconds: 60, maxEntries: 10 },
  });
});
afterAll(async () => {
  await world?.close();
});

describe('VaultClient exchange-key methods against a vault with stub exchanges', () => {
  it('putExchangeKey stores a trade-only key as its kind; the answer masks it and carries the check', async () => {
    const stored = await client.putExchangeKey('svc/u1/okx', 'okx', okx('client-okx-trade'), {
      labels: { desk: 'b' },
      cas: 0,
      rotationDays: 90,
    });
    expect(stored).toMatchObject({
      path: 'svc/u1/okx',
      version: 1,
      kind: 'exchange-api-key',
      exchange: 'okx',
      labels: { desk: 'b' },
      rotationDays: 90,
      apiKeyHint: expect.stringMatching(/^.{1,4}\*\*\*\*.{1,4}$/),
      check: { exchange: 'okx', canWithdraw: false },
    });
    const shown = JSON.stringify([stored, await client.describeSecret('svc/u1/okx')]);
    for (const part of [SECRET, PASSPHRASE, 'client-okx-trade']) expect(shown).not.toContain(part);
    expect((await client.getSecret('svc/u1/okx')).value).toEqual(okx('client-okx-trade'));
  });

  it('a key that can withdraw is a VaultClientError 422 with the reason in details, and nothing is stored', async () => {
    const error = await client.putExchangeKey('svc/u2/okx', 'okx', okx('client-okx-withdraw')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultClientError);
    expect(error).toMatchObject({ status: 422, code: 'exchange_key_rejected', details: ['withdraw_enabled'] });
    expect(JSON.stringify(error)).not.toContain(SECRET);
    await expect(client.describeSecret('svc/u2/okx')).rejects.toMatchObject({ status: 404 });
  });

  it('the wrong shape for the exchange is a 400 with details, never the value (bybit has no passphrase)', async () => {
    const error = await client.putExchangeKey('svc/u3/bybit', 'bybit', okx('client-bybit-trade')).then(
      () => undefined,
      (e: VaultClientError) => e,
    );
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
    expect(error?.details?.length).toBeGreaterThan(0);
    expect(JSON.stringify(error?.details)).not.toContain(PASSPHRASE);
  });

  it("putExchangeKey drops the path's cached reads, as putSecret does", async () => {
    await client.putExchangeKey('svc/cached/bybit', 'bybit', { apiKey: 'client-bybit-trade', secretKey: SECRET });
    expect((await client.getSecret('svc/cached/bybit')).version).toBe(1);
    // The same key again is a new version of the same path (not a duplicate).
    await client.putExchangeKey('svc/cached/bybit', 'bybit', { apiKey: 'client-bybit-trade', secretKey: SECRET });
    expect((await client.getSecret('svc/cached/bybit')).version).toBe(2);
  });

  it('recheckExchangeKey says whether the key is flagged; listSecrets({ flagged: true }) lists exactly those', async () => {
    changing.profile = 'trade';
    changing.whitelist = LOOPBACK;
    await client.putExchangeKey('svc/watch/okx', 'okx', okx(changing.apiKey));
    const clean: RecheckView = await client.recheckExchangeKey('svc/watch/okx');
    expect(clean).toMatchObject({ path: 'svc/watch/okx', version: 1, flagged: [], check: { canWithdraw: false } });
    expect((await client.listSecrets({ prefix: 'svc/', flagged: true })).items).toEqual([]);

    changing.profile = 'withdraw';
    try {
      const flagged = await client.recheckExchangeKey('svc/watch/okx');
      expect(flagged).toMatchObject({ version: 1, flagged: ['withdraw_enabled'], check: { canWithdraw: true } });
      const page = await client.listSecrets({ prefix: 'svc/', flagged: true });
      expect(page.items.map((item) => [item.path, item.flagged])).toEqual([['svc/watch/okx', ['withdraw_enabled']]]);
      const all = await client.listSecrets({ prefix: 'svc/' });
      expect(all.items.length).toBeGreaterThan(1);
    } finally {
      changing.profile = 'trade';
    }
    expect((await client.recheckExchangeKey('svc/watch/okx')).flagged).toEqual([]);
    expect((await client.listSecrets({ prefix: 'svc/', flagged: true })).items).toEqual([]);
  });

  it('recheckExchangeKey of a plain secret is 400, of a missing path 404', async () => {
    await client.putSecret('svc/plain', 'v');
    await expect(client.recheckExchangeKey('svc/plain')).rejects.toMatchObject({ status: 400 });
    await expect(client.recheckExchangeKey('svc/none')).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });
});
