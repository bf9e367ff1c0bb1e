import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { HttpExchangeChecker } from '../../src/adapters/exchanges/http-exchange-checker';
import { LocalMacProvider } from '../../src/adapters/local-keys/local-mac-provider';
import { runExchangeSweep } from '../../src/cli/exchange-check/walk';
import { parseCheckPolicy } from '../../src/core/exchange-keys';
import {
  DEMO_SECRET,
  demoCredential,
  LOOPBACK,
  type RunningStub,
  START_STUB,
  type StubKey,
  stubKeys,
} from '../stubs/exchanges';
import { testApp } from '../support/app';
import { stopDynamo } from '../support/dynamo';
import { ADMIN } from '../support/fakes';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

const keys: StubKey[] = Array.from({ length: 6 }, (_, i) => ({
  apiKey: `sweep-key-${i}`,
  secret: DEMO_SECRET,
  passphrases: ['demo-passphrase'],
  profile: 'trade',
  whitelist: LOOPBACK,
}));
let stub: RunningStub;
beforeAll(async () => {
  stub = await START_STUB.okx({ keys: [...stubKeys('okx'), ...keys] });
});
afterAll(async () => {
  await stub.close();
  await stopDynamo();
});

describe('npm run exchange-check: the sweep', () => {
  it('re-checks every exchange key, skips plain secrets, flags what changed and reports failures by code', async () => {
    const t = await testApp({
      exchanges: {
        checker: new HttpExchangeChecker({ baseUrls: { okx: stub.url }, timeoutMs: 1000 }),
        macs: new LocalMacProvider(randomBytes(32)),
        settings: { check: 'required', policy: parseCheckPolicy({}) },
      },
    });
    for (const [i, key] of keys.entries()) {
      const value = { ...demoCredential('okx', 'demo-trade'), apiKey: key.apiKey };
      expect(
        (await t.as().put(`/v1/secrets/sweep/u${i}/okx`, { kind: 'exchange-api-key', exchange: 'okx', value })).status,
      ).toBe(201);
    }
    await t.as().put('/v1/secrets/sweep/plain', { value: 'not an exchange key' });
    keys[1]!.profile = 'withdraw';
    keys[4]!.profile = 'readonly';
    keys[5]!.profile = 'server-error';

    const out = new Capture();
    const summary = await runExchangeSweep({
      vault: t.vault,
      prefix: 'sweep/',
      out,
      isTTY: false,
      principal: ADMIN,
      pageSize: 2,
      heartbeatMs: 0,
    });
    expect(summary.passed).toBe(3);
    expect(summary.flagged).toEqual([
      { path: 'sweep/u1/okx', reasons: ['withdraw_enabled'] },
      { path: 'sweep/u4/okx', reasons: ['read_only', 'derivatives_disabled'] },
    ]);
    expect(summary.failed).toEqual([{ path: 'sweep/u5/okx', reason: 'dependency_unavailable (exchange)' }]);
    expect(summary.skipped).toBe(1);
    expect(out.text).toMatch(/flagged: 2 keys/);
    expect(out.text).toContain('sweep/u1/okx: withdraw_enabled');
    expect(out.text).not.toMatch(/demo-secret|demo-passphrase/);
    // What the sweep found is recorded: the flagged listing shows exactly those two.
    const flagged = await t.as().get('/v1/metadata?flagged=true');
    expect(flagged.body.items.map((i: { path: string }) => i.path)).toEqual(['sweep/u1/okx', 'sweep/u4/okx']);
  });
});
