import {
  DecryptCommand,
  DescribeKeyCommand,
  GenerateDataKeyCommand,
  KMSClient,
  type KMSClientConfig,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import { IntegrityError, UnknownKeyError } from '../../core/errors';
import type { DataKey, EncryptionContext, KeyProvider } from '../../core/ports';
import { mapKmsError } from './errors';

const RESOLVE_TTL_MS = 60_000;
/** An unknown key id may mean the alias moved: re-resolve, but at most this often. */
const RERESOLVE_MIN_MS = 5_000;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

interface KeySet {
  keyId: string;
  /** ARNs of keys that wrapped older versions; with the current key, the only keys ever used. */
  previousKeyIds?: string[];
}

export type KmsKeyProviderOptions =
  | (KeySet & { client: KMSClient; clientConfig?: never })
  | (KeySet & { clientConfig?: KMSClientConfig; client?: never });

/**
 * Default client settings: each attempt gives up after 3 s (1 s to connect) and a call after 3
 * attempts, so a KMS that accepts and never answers costs a 503 in about 10 s, well inside API
 * Gateway's 29 s. `throwOnRequestTimeout` is what makes requestTimeout end the attempt: without
 * it the handler only logs a warning and waits for the socket.
 */
export function kmsClientConfig(overrides: KMSClientConfig = {}): KMSClientConfig {
  return {
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
    ...overrides,
  };
}

/** KeyProvider over AWS KMS. Every call carries the encryption context; KMS enforces it. */
export class KmsKeyProvider implements KeyProvider {
  private readonly keyId: string;
  private readonly previous: ReadonlySet<string>;
  private readonly client: KMSClient;
  private resolved: { arn: string; at: number } | undefined;

  constructor(options: KmsKeyProviderOptions) {
    this.keyId = options.keyId;
    this.previous = new Set(options.previousKeyIds ?? []);
    this.client = options.client ?? new KMSClient(kmsClientConfig(options.clientConfig));
    // A key ARN names the current key outright; an alias or bare id is resolved with DescribeKey.
    if (KEY_ARN.test(this.keyId)) this.resolved = { arn: this.keyId, at: Number.POSITIVE_INFINITY };
  }

  async currentKeyId(): Promise<string> {
    // An alias may be re-pointed to a new key, so it is resolved again after a minute: a
    // rewrap run then needs one DescribeKey a minute, not one per secret. A stale answer only
    // makes rewrap skip work a rerun picks up; it never affects what opens.
    const now = Date.now();
    if (this.resolved && now - this.resolved.at < RESOLVE_TTL_MS) return this.resolved.arn;
    return this.resolve(now);
  }

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    const out = await this.call(() =>
      this.client.send(
        new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: context }),
      ),
    );
    if (!out.Plaintext || !out.CiphertextBlob || !out.KeyId || out.Plaintext.length !== 32) {
      throw new IntegrityError('kms returned an incomplete data key');
    }
    // Copy into a Buffer we own (and zero), then clear the SDK's array as far as we can.
    const plaintext = Buffer.from(out.Plaintext);
    out.Plaintext.fill(0);
    return { plaintext, wrapped: Buffer.from(out.CiphertextBlob), keyId: out.KeyId };
  }

  async decryptDataKey(wrapped: Buffer, keyId: string, context: EncryptionContext): Promise<Buffer> {
    // The stored kid never chooses the key: only the current key and the listed previous ones
    // are ever asked, so a record forged under some other key the role can use does not open
    // (and cannot be rewrapped into a genuine one). KeyId then pins KMS to that key.
    await this.assertKnown(keyId);
    const out = await this.call(() =>
      this.client.send(new DecryptCommand({ CiphertextBlob: wrapped, KeyId: keyId, EncryptionContext: context })),
    );
    if (out.Plaintext?.length !== 32) throw new IntegrityError('kms returned an unexpected data key');
    const plaintext = Buffer.from(out.Plaintext);
    out.Plaintext.fill(0);
    return plaintext;
  }

  async rewrapDataKey(
    wrapped: Buffer,
    keyId: string,
    context: EncryptionContext,
  ): Promise<{ wrapped: Buffer; keyId: string }> {
    await this.assertKnown(keyId);
    const out = await this.call(() =>
      this.client.send(
        new ReEncryptCommand({
          CiphertextBlob: wrapped,
          SourceKeyId: keyId,
          SourceEncryptionContext: context,
          DestinationKeyId: this.keyId,
          DestinationEncryptionContext: context,
        }),
      ),
    );
    if (!out.CiphertextBlob || !out.KeyId) throw new IntegrityError('kms returned an incomplete re-encryption');
    return { wrapped: Buffer.from(out.CiphertextBlob), keyId: out.KeyId };
  }

  private async assertKnown(keyId: string): Promise<void> {
    if (this.previous.has(keyId) || keyId === this.resolved?.arn) return;
    const now = Date.now();
    // Only an alias can move; re-asking where it points is a DescribeKey, never a use of `keyId`.
    if (
      !this.resolved ||
      (this.resolved.at !== Number.POSITIVE_INFINITY && now - this.resolved.at >= RERESOLVE_MIN_MS)
    ) {
      if ((await this.resolve(now)) === keyId) return;
    }
    throw new UnknownKeyError(keyId);
  }

  private async resolve(now: number): Promise<string> {
    const out = await this.call(() => this.client.send(new DescribeKeyCommand({ KeyId: this.keyId })));
    if (!out.KeyMetadata?.Arn) throw new IntegrityError('kms did not describe the key');
    this.resolved = { arn: out.KeyMetadata.Arn, at: now };
    return out.KeyMetadata.Arn;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw mapKmsError(error);
    }
  }
}
