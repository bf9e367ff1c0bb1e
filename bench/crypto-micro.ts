/**
 * (c) Crypto micro-benchmark: the cost of protecting one 1 KiB value, encrypt + decrypt.
 *
 * - rawNodeCrypto: the floor. node:crypto AES-256-GCM with a fresh random 96-bit IV, no AAD.
 * - envelopeAes: our envelope's work once the data key is in hand: what seal() and open() do
 *   besides calling the key provider (encodeContext for the AAD, encryptWithKey, encodeContext,
 *   decryptWithKey with its length checks and held-back plaintext). THE BUDGET (<= 2x raw)
 *   APPLIES TO THIS ONE.
 * - envelopeAesPrecomputedAad: the same with the AAD encoded once, to show what encodeContext costs.
 * - sealOpenLocalKeys: the full seal() + open() with a LocalKeyProvider, i.e. plus a local
 *   AES-GCM wrap of a fresh data key and its unwrap (in production those two are KMS calls,
 *   so this figure is only what embedded mode pays; it is reported, not budgeted).
 * - awsEncryptionSdk: @aws-crypto/client-node with a raw AES keyring under
 *   REQUIRE_ENCRYPT_REQUIRE_DECRYPT and its default suite (key commitment + ECDSA P-384 signature),
 *   and, for a like-for-like comparison, the committing suite without the signature.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import { LocalKeyProvider } from '../src/adapters/local-keys/local-key-provider';
import { contextFor, decryptWithKey, encodeContext, encryptWithKey, open, seal } from '../src/core/envelope';
import { DEFAULT_TIMING, median, round3, type Timing, type TimingOptions, timeInterleaved } from './lib/timing';
import { rangeSpread, type Spread } from './lib/verdict';

export const VALUE_BYTES = 1024;
export const CRYPTO_BUDGET_RATIO = 2;

export interface CryptoResults {
  valueBytes: number;
  method: string;
  usPerOp: {
    rawNodeCrypto: number;
    envelopeAes: number;
    envelopeAesPrecomputedAad: number;
    sealOpenLocalKeys: number;
    awsEncryptionSdk: number;
    awsEncryptionSdkNoSignature: number;
  };
  ratioVsRaw: {
    envelopeAes: number;
    envelopeAesPrecomputedAad: number;
    sealOpenLocalKeys: number;
    awsEncryptionSdk: number;
    awsEncryptionSdkNoSignature: number;
  };
  detail: Record<string, Timing>;
  /** envelopeAes / rawNodeCrypto per round: the budgeted figure, median and min..max over rounds. */
  envelopeRatio: Spread;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`crypto bench self-check failed: ${what}`);
}

export async function measureCrypto(rounds = 5, timing: TimingOptions = DEFAULT_TIMING): Promise<CryptoResults> {
  const plaintext = randomBytes(VALUE_BYTES);
  const context = contextFor('exchange-keys/user-1842/binance-main', 1);
  // Every op folds a byte of its output in here, so no result is dead.
  let sink = 0;

  // Floor: the least a correct AES-256-GCM round trip can do in Node.
  const rawKey = randomBytes(32);
  const raw = () => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', rawKey, iv);
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const tag = cipher.getAuthTag();
    const decipher = createDecipheriv('aes-256-gcm', rawKey, iv);
    decipher.setAuthTag(tag);
    const out = Buffer.concat([decipher.update(ct), decipher.final()]);
    sink ^= out[0]!;
  };

  const dataKey = randomBytes(32);
  const envelopeAes = () => {
    const { iv, ct } = encryptWithKey(dataKey, plaintext, encodeContext(context));
    const out = decryptWithKey(dataKey, iv, ct, encodeContext(context));
    sink ^= out[0]!;
  };
  const aad = encodeContext(context);
  const envelopeAesPrecomputed = () => {
    const { iv, ct } = encryptWithKey(dataKey, plaintext, aad);
    const out = decryptWithKey(dataKey, iv, ct, aad);
    sink ^= out[0]!;
  };

  const localKeys = new LocalKeyProvider(randomBytes(32));
  const sealOpen = async () => {
    const envelope = await seal(localKeys, plaintext, context);
    const out = await open(localKeys, envelope, context);
    sink ^= out[0]!;
  };

  const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const keyring = new RawAesKeyringNode({
    keyName: 'bench-key',
    keyNamespace: 'kms-vault-bench',
    unencryptedMasterKey: new Uint8Array(randomBytes(32)),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const esdk = (suiteId?: AlgorithmSuiteIdentifier) => async () => {
    const { result } = await encrypt(keyring, plaintext, {
      encryptionContext: context,
      ...(suiteId !== undefined && { suiteId }),
    });
    const { plaintext: out } = await decrypt(keyring, result);
    sink ^= out[0]!;
  };
  const esdkDefault = esdk();
  const esdkNoSignature = esdk(AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY);

  // Each candidate must round-trip correctly before its time means anything.
  {
    const { iv, ct } = encryptWithKey(dataKey, plaintext, aad);
    check(decryptWithKey(dataKey, iv, ct, aad).equals(plaintext), 'envelope AES round trip');
    check(
      (await open(localKeys, await seal(localKeys, plaintext, context), context)).equals(plaintext),
      'seal/open round trip',
    );
    const { result } = await encrypt(keyring, plaintext, { encryptionContext: context });
    check(Buffer.from((await decrypt(keyring, result)).plaintext).equals(plaintext), 'ESDK round trip');
  }

  // The ESDK is ~100-1000x slower per op: fewer iterations, same minimum time per round.
  const slow = { warmupIterations: 20, minIterations: 100 };
  const { timings: detail, perRound } = await timeInterleaved(
    {
      rawNodeCrypto: { op: raw },
      envelopeAes: { op: envelopeAes },
      envelopeAesPrecomputedAad: { op: envelopeAesPrecomputed },
      sealOpenLocalKeys: { op: sealOpen, async: true },
      awsEncryptionSdk: { op: esdkDefault, async: true, options: slow },
      awsEncryptionSdkNoSignature: { op: esdkNoSignature, async: true, options: slow },
    },
    rounds,
    timing,
  );
  // Read once, so the folded results are observably live.
  check(sink >= 0 && sink < 256, 'result sink');

  // Read once, so that the byte every op folded in is not dead code (a byte XOR is always 0..255).
  check(sink >= 0 && sink <= 255, 'output sink');
  const us = Object.fromEntries(
    Object.entries(detail).map(([k, t]) => [k, (t as Timing).usPerOp]),
  ) as CryptoResults['usPerOp'];
  // Paired: each round's candidate over the same round's raw figure, then the median.
  const ratio = (k: keyof CryptoResults['usPerOp']) =>
    round3(median(perRound.map((row) => row[k] / row.rawNodeCrypto)));
  const envelopeRatio = ratio('envelopeAes');
  return {
    valueBytes: VALUE_BYTES,
    method: `${rounds} interleaved rounds per candidate, each >= ${timing.minMs} ms and >= ${timing.minIterations} ops (ESDK >= ${slow.minIterations}) after warm-up; encrypt + decrypt per op, one at a time; usPerOp = median round, ratios = median of per-round ratios to raw`,
    usPerOp: us,
    ratioVsRaw: {
      envelopeAes: envelopeRatio,
      envelopeAesPrecomputedAad: ratio('envelopeAesPrecomputedAad'),
      sealOpenLocalKeys: ratio('sealOpenLocalKeys'),
      awsEncryptionSdk: ratio('awsEncryptionSdk'),
      awsEncryptionSdkNoSignature: ratio('awsEncryptionSdkNoSignature'),
    },
    detail,
    envelopeRatio: rangeSpread(
      perRound.map((row) => row.envelopeAes / row.rawNodeCrypto),
      `min..max of ${rounds} per-round ratios`,
    ),
  };
}
