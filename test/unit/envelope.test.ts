import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contextFor, decryptWithKey, encodeContext, FORMAT_ID, open, seal } from '../../src/core/envelope';
import { IntegrityError } from '../../src/core/errors';
import type { Envelope, KeyProvider } from '../../src/core/ports';
import { CountingKeyProvider } from '../support/counting-key-provider';

interface WycheproofTest {
  tcId: number;
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
interface WycheproofGroup {
  keySize: number;
  ivSize: number;
  tagSize: number;
  tests: WycheproofTest[];
}
const vectors = JSON.parse(readFileSync(join(__dirname, '../fixtures/wycheproof/aes_gcm_test.json'), 'utf8')) as {
  testGroups: WycheproofGroup[];
};
const hex = (text: string) => Buffer.from(text, 'hex');
const ours = (g: WycheproofGroup) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128;

describe('Wycheproof AES-GCM vectors', () => {
  const ourCases = vectors.testGroups.filter(ours).flatMap((g) => g.tests);
  const otherCases = vectors.testGroups
    .filter((g) => !ours(g))
    .flatMap((g) => g.tests.map((t) => ({ ...t, group: `${g.keySize}/${g.ivSize}/${g.tagSize}` })));

  it('has vectors in both sets', () => {
    expect(ourCases.length).toBeGreaterThan(10);
    expect(otherCases.length).toBeGreaterThan(100);
  });

  it.each(ourCases.map((t) => [t.tcId, t] as const))(
    '256-bit key, 96-bit iv, 128-bit tag: tcId %i behaves as the file says',
    (_id, t) => {
      const run = () => decryptWithKey(hex(t.key), hex(t.iv), Buffer.concat([hex(t.ct), hex(t.tag)]), hex(t.aad));
      if (t.result === 'valid') expect(run().toString('hex')).toBe(t.msg);
      else expect(run).toThrow(IntegrityError);
    },
  );

  it('rejects every vector of every other key, iv or tag size, even valid ones', () => {
    for (const t of otherCases) {
      expect(() => decryptWithKey(hex(t.key), hex(t.iv), Buffer.concat([hex(t.ct), hex(t.tag)]), hex(t.aad))).toThrow(
        IntegrityError,
      );
    }
  });
});

describe('envelope', () => {
  const keys = new CountingKeyProvider();
  const ctx = contextFor('exchange-keys/user-1/binance', 3);

  it.each([
    ['a string', '"hunter2"'],
    ['an object', JSON.stringify({ apiKey: 'k', secretKey: 's', passphrase: 'p' })],
    ['empty', '""'],
    ['unicode', '"ключ 🔑"'],
  ])('round-trips %s', async (_name, json) => {
    const envelope = await seal(keys, Buffer.from(json), ctx);
    expect(envelope.alg).toBe(FORMAT_ID);
    expect(envelope.iv).toHaveLength(12);
    expect(envelope.ct.length).toBe(Buffer.byteLength(json) + 16);
    expect((await open(keys, envelope, ctx)).toString()).toBe(json);
  });

  it('encodes contexts canonically: order-free, length-prefixed', () => {
    expect(encodeContext({ a: '1', b: '2' })).toEqual(encodeContext({ b: '2', a: '1' }));
    expect(encodeContext({ a: 'bc' })).not.toEqual(encodeContext({ ab: 'c' }));
    expect(encodeContext({ a: 'b' }, 'X')).not.toEqual(encodeContext({ a: 'b' }, 'Y'));
  });

  it('zeroes the plaintext data key after sealing and opening', async () => {
    const watched = new CountingKeyProvider(keys, { keepKeys: true });
    const envelope = await seal(watched, Buffer.from('"v"'), ctx);
    await open(watched, envelope, ctx);
    expect(watched.handedOut).toHaveLength(2);
    for (const { buffer, bytes } of watched.handedOut) {
      expect(bytes.equals(Buffer.alloc(32))).toBe(false);
      expect(buffer.equals(Buffer.alloc(32))).toBe(true);
    }
  });

  describe('tamper: every single-bit flip is rejected with IntegrityError and releases no plaintext', () => {
    const secret = Buffer.from(JSON.stringify({ apiKey: 'AKIA-canary', secretKey: 'flip-me' }));
    let envelope: Envelope;
    beforeAll(async () => {
      envelope = await seal(keys, secret, ctx);
    });

    it.each(['iv', 'ct', 'edk'] as const)('in %s (ct includes the tag)', async (field) => {
      const bits = envelope[field].length * 8;
      let rejected = 0;
      for (let bit = 0; bit < bits; bit++) {
        const flipped = Buffer.from(envelope[field]);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        const result = await open(keys, { ...envelope, [field]: flipped }, ctx).then(
          (plaintext) => plaintext,
          (error: unknown) => error,
        );
        expect(result).toBeInstanceOf(IntegrityError);
        rejected += 1;
      }
      expect(rejected).toBe(bits);
    });

    it('in the tag alone (last 16 bytes of ct)', async () => {
      for (let bit = 0; bit < 128; bit++) {
        const ct = Buffer.from(envelope.ct);
        ct[ct.length - 16 + (bit >> 3)]! ^= 1 << (bit & 7);
        await expect(open(keys, { ...envelope, ct }, ctx)).rejects.toThrow(IntegrityError);
      }
    });

    it('with an unknown format id, a short iv or a truncated tag', async () => {
      await expect(open(keys, { ...envelope, alg: 'A256GCM.KMS.0' }, ctx)).rejects.toThrow(IntegrityError);
      await expect(open(keys, { ...envelope, iv: envelope.iv.subarray(0, 8) }, ctx)).rejects.toThrow(IntegrityError);
      await expect(
        open(keys, { ...envelope, ct: envelope.ct.subarray(0, envelope.ct.length - 4) }, ctx),
      ).rejects.toThrow(IntegrityError);
    });
  });

  it('moved ciphertext: a record copied to another path or version does not open', async () => {
    const envelope = await seal(keys, Buffer.from('"v"'), contextFor('a/b', 1));
    await expect(open(keys, envelope, contextFor('a/c', 1))).rejects.toThrow(IntegrityError);
    await expect(open(keys, envelope, contextFor('a/b', 2))).rejects.toThrow(IntegrityError);
    await expect(open(keys, envelope, contextFor('a/b', 1))).resolves.toEqual(Buffer.from('"v"'));
  });

  it('moved ciphertext: GCM alone rejects another context even when the key unwraps', async () => {
    // A key provider that ignores context (as a compromised one might): the AAD still binds.
    const careless: KeyProvider = {
      currentKeyId: () => keys.currentKeyId(),
      generateDataKey: (c) => keys.generateDataKey(c),
      rewrapDataKey: keys.rewrapDataKey.bind(keys),
      decryptDataKey: (w, k) => keys.decryptDataKey(w, k, contextFor('a/b', 1)),
    };
    const envelope = await seal(keys, Buffer.from('"v"'), contextFor('a/b', 1));
    await expect(open(careless, envelope, contextFor('a/b', 2))).rejects.toThrow(IntegrityError);
    await expect(open(careless, envelope, contextFor('a/b', 1))).resolves.toEqual(Buffer.from('"v"'));
  });

  it('10,000 seals of one value give 10,000 distinct data keys and IVs', async () => {
    const watched = new CountingKeyProvider(keys, { keepKeys: true });
    const ivs = new Set<string>();
    for (let i = 0; i < 10_000; i++) ivs.add((await seal(watched, Buffer.from('"same"'), ctx)).iv.toString('hex'));
    expect(new Set(watched.handedOut.map(({ bytes }) => bytes.toString('hex'))).size).toBe(10_000);
    expect(ivs.size).toBe(10_000);
  });
});
