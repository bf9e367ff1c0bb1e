import { contextFor } from '../../src/core/envelope';
import { IntegrityError, UnknownKeyError } from '../../src/core/errors';
import type { DataKey, EncryptionContext, KeyProvider } from '../../src/core/ports';

/** A KeyProvider set up for the contract, with a second key it can still unwrap. */
export interface KeyProviderUnderTest {
  keys: KeyProvider;
  /**
   * A data key wrapped under another key the provider still unwraps: a retired local master
   * key, or the KMS key an alias pointed at before it was re-pointed.
   */
  wrapUnderPrevious(context: EncryptionContext): Promise<DataKey>;
  /** Releases what the set-up made (client mocks, servers); runs after every test. */
  close?(): void | Promise<void>;
}

const PATH = 'exchange-keys/user-1842/binance-main';
/** Key ids no provider under test uses: a KMS key of another account, a local key never loaded. */
const NOT_OURS_KMS = 'arn:aws:kms:us-east-1:999999999999:key/00000000-0000-0000-0000-00000000dead';
const NOT_OURS_LOCAL = 'local:0000000000000000';

async function refusal(attempt: Promise<unknown>): Promise<unknown> {
  return attempt.then(
    () => new Error('expected the key provider to refuse'),
    (error: unknown) => error,
  );
}

/**
 * What every KeyProvider must do, whatever sits behind it (the ExerciseBackend idea, as for
 * SecretStore): one suite, run against each implementation and decorator, so the local
 * provider, KMS and the cache cannot drift apart on what opens and what is refused.
 */
export function keyProviderContract(name: string, make: () => KeyProviderUnderTest | Promise<KeyProviderUnderTest>) {
  describe(`KeyProvider contract: ${name}`, () => {
    let subject: KeyProviderUnderTest | undefined;
    let keys: KeyProvider;
    const context = contextFor(PATH, 3);

    beforeEach(async () => {
      subject = await make();
      keys = subject.keys;
    });
    afterEach(async () => {
      await subject?.close?.();
      subject = undefined;
    });

    it('a data key round-trips: decrypting the wrapped key under the same context gives the plaintext', async () => {
      const dataKey = await keys.generateDataKey(context);
      await expect(keys.decryptDataKey(dataKey.wrapped, dataKey.keyId, context)).resolves.toEqual(dataKey.plaintext);
    });

    it('the context is a set of pairs: the same pairs in another order open the key', async () => {
      const dataKey = await keys.generateDataKey(context);
      const reordered = Object.fromEntries(Object.entries(context).reverse());
      expect(Object.keys(reordered)).not.toEqual(Object.keys(context));
      await expect(keys.decryptDataKey(dataKey.wrapped, dataKey.keyId, reordered)).resolves.toEqual(dataKey.plaintext);
    });

    it.each<[string, EncryptionContext]>([
      ['another path', contextFor('exchange-keys/user-1842/okx-main', 3)],
      ['another version', contextFor(PATH, 4)],
      ['a path that differs by a trailing character', contextFor(`${PATH}x`, 3)],
      ['an extra pair', { ...contextFor(PATH, 3), 'kms-vault:extra': '1' }],
      ['a missing pair', { 'kms-vault:path': PATH }],
      ['no context at all', {}],
    ])('moved wrapped key: under %s it is refused with IntegrityError', async (_case, moved) => {
      const dataKey = await keys.generateDataKey(context);
      // Opened in place first, as a reader before the move would: a cached answer must not leak.
      await keys.decryptDataKey(dataKey.wrapped, dataKey.keyId, context);
      expect(await refusal(keys.decryptDataKey(dataKey.wrapped, dataKey.keyId, moved))).toBeInstanceOf(IntegrityError);
    });

    it('a wrapped key from another key is refused with IntegrityError, whichever key id it is presented with', async () => {
      const current = await keys.generateDataKey(context);
      const previous = await subject!.wrapUnderPrevious(context);
      expect(previous.keyId).not.toBe(current.keyId);
      await keys.decryptDataKey(current.wrapped, current.keyId, context);
      await keys.decryptDataKey(previous.wrapped, previous.keyId, context);
      expect(await refusal(keys.decryptDataKey(current.wrapped, previous.keyId, context))).toBeInstanceOf(
        IntegrityError,
      );
      expect(await refusal(keys.decryptDataKey(previous.wrapped, current.keyId, context))).toBeInstanceOf(
        IntegrityError,
      );
    });

    it('a key id the provider does not use is unknown_key: a stored record cannot choose the key', async () => {
      const dataKey = await keys.generateDataKey(context);
      for (const foreign of [NOT_OURS_KMS, NOT_OURS_LOCAL]) {
        const error = await refusal(keys.decryptDataKey(dataKey.wrapped, foreign, context));
        expect(error).toBeInstanceOf(UnknownKeyError);
        expect(await refusal(keys.rewrapDataKey(dataKey.wrapped, foreign, context))).toBeInstanceOf(UnknownKeyError);
      }
    });

    it('a tampered wrapped key is refused with IntegrityError, whichever byte changed', async () => {
      const dataKey = await keys.generateDataKey(context);
      await keys.decryptDataKey(dataKey.wrapped, dataKey.keyId, context);
      for (let i = 0; i < dataKey.wrapped.length; i++) {
        const tampered = Buffer.from(dataKey.wrapped);
        tampered[i]! ^= 1;
        const error = await refusal(keys.decryptDataKey(tampered, dataKey.keyId, context));
        expect([i, error]).toEqual([i, expect.any(IntegrityError)]);
      }
    });

    it('currentKeyId names the key new data keys are wrapped under, not the previous one', async () => {
      const current = await keys.currentKeyId();
      expect((await keys.generateDataKey(context)).keyId).toBe(current);
      expect((await subject!.wrapUnderPrevious(context)).keyId).not.toBe(current);
    });

    it('generated data keys are 32 bytes and fresh: no plaintext or wrapped key repeats', async () => {
      const dataKeys = await Promise.all(
        Array.from({ length: 20 }, (_, i) => keys.generateDataKey(contextFor(PATH, i + 1))),
      );
      for (const dataKey of dataKeys) expect(dataKey.plaintext).toHaveLength(32);
      expect(new Set(dataKeys.map((k) => k.plaintext.toString('hex'))).size).toBe(20);
      expect(new Set(dataKeys.map((k) => k.wrapped.toString('hex'))).size).toBe(20);
      // Not even under one context: every write gets its own key.
      const again = await keys.generateDataKey(contextFor(PATH, 1));
      expect(again.plaintext.equals(dataKeys[0]!.plaintext)).toBe(false);
    });

    it('returned buffers belong to the caller: zeroing one changes no wrapped key and no later answer', async () => {
      const dataKey = await keys.generateDataKey(context);
      expect(Buffer.isBuffer(dataKey.plaintext)).toBe(true);
      expect(Buffer.isBuffer(dataKey.wrapped)).toBe(true);
      const plaintext = Buffer.from(dataKey.plaintext);
      const wrapped = Buffer.from(dataKey.wrapped);
      dataKey.plaintext.fill(0);
      expect(dataKey.wrapped).toEqual(wrapped);

      const first = await keys.decryptDataKey(dataKey.wrapped, dataKey.keyId, context);
      expect(Buffer.isBuffer(first)).toBe(true);
      expect(first).toEqual(plaintext);
      first.fill(0);
      const second = await keys.decryptDataKey(dataKey.wrapped, dataKey.keyId, context);
      expect(second).toEqual(plaintext);
      expect(second).not.toBe(first);
      second.fill(0);
      await expect(keys.decryptDataKey(dataKey.wrapped, dataKey.keyId, context)).resolves.toEqual(plaintext);
    });

    it('a data key under the previous key still opens, so versions not yet rewrapped keep working', async () => {
      const previous = await subject!.wrapUnderPrevious(context);
      await expect(keys.decryptDataKey(previous.wrapped, previous.keyId, context)).resolves.toEqual(previous.plaintext);
    });

    it('rewrap keeps the plaintext key and moves it to the current key', async () => {
      const previous = await subject!.wrapUnderPrevious(context);
      const moved = await keys.rewrapDataKey(previous.wrapped, previous.keyId, context);
      expect(moved.keyId).toBe(await keys.currentKeyId());
      expect(moved.keyId).not.toBe(previous.keyId);
      expect(moved.wrapped.equals(previous.wrapped)).toBe(false);
      await expect(keys.decryptDataKey(moved.wrapped, moved.keyId, context)).resolves.toEqual(previous.plaintext);
      // Under the current key now: presented as the previous key's, it is refused.
      expect(await refusal(keys.decryptDataKey(moved.wrapped, previous.keyId, context))).toBeInstanceOf(IntegrityError);
    });

    it('rewrap keeps the context binding: the moved key opens under no other path or version', async () => {
      const previous = await subject!.wrapUnderPrevious(context);
      const moved = await keys.rewrapDataKey(previous.wrapped, previous.keyId, context);
      for (const other of [contextFor(PATH, 4), contextFor(`${PATH}x`, 3)]) {
        expect(await refusal(keys.decryptDataKey(moved.wrapped, moved.keyId, other))).toBeInstanceOf(IntegrityError);
      }
    });

    it('rewrap refuses a wrong context or a wrong source key with IntegrityError', async () => {
      const previous = await subject!.wrapUnderPrevious(context);
      const current = await keys.currentKeyId();
      expect(await refusal(keys.rewrapDataKey(previous.wrapped, previous.keyId, contextFor(PATH, 4)))).toBeInstanceOf(
        IntegrityError,
      );
      expect(await refusal(keys.rewrapDataKey(previous.wrapped, current, context))).toBeInstanceOf(IntegrityError);
    });

    it('rewrap of a key already under the current key leaves it there, still opening', async () => {
      const dataKey = await keys.generateDataKey(context);
      const moved = await keys.rewrapDataKey(dataKey.wrapped, dataKey.keyId, context);
      expect(moved.keyId).toBe(dataKey.keyId);
      await expect(keys.decryptDataKey(moved.wrapped, moved.keyId, context)).resolves.toEqual(dataKey.plaintext);
    });

    it('rewrap answers only the wrapped key and its key id, never a plaintext key', async () => {
      const previous = await subject!.wrapUnderPrevious(context);
      const moved = await keys.rewrapDataKey(previous.wrapped, previous.keyId, context);
      expect(Object.keys(moved).sort()).toEqual(['keyId', 'wrapped']);
      expect(moved.wrapped.includes(previous.plaintext)).toBe(false);
    });
  });
}
