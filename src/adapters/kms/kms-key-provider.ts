import {
  DecryptCommand,
  DescribeKeyCommand,
  GenerateDataKeyCommand,
  KMSClient,
  type KMSClientConfig,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import { IntegrityError } from '../../core/errors';
import type { DataKey, EncryptionContext, KeyProvider } from '../../core/ports';
import { mapKmsError } from './errors';

const RESOLVE_TTL_MS = 60_000;

export type KmsKeyProviderOptions =
  | { keyId: string; client: KMSClient; clientConfig?: never }
  | { keyId: string; clientConfig?: KMSClientConfig; client?: never };

/**
 * Default client settings: bounded time per attempt so a hung KMS becomes a 503 quickly
 * instead of holding the request until Lambda's own timeout.
 */
export function kmsClientConfig(overrides: KMSClientConfig = {}): KMSClientConfig {
  return { maxAttempts: 3, requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 }, ...overrides };
}

/** KeyProvider over AWS KMS. Every call carries the encryption context; KMS enforces it. */
export class KmsKeyProvider implements KeyProvider {
  private readonly keyId: string;
  private readonly client: KMSClient;
  private resolved: { arn: string; until: number } | undefined;

  constructor(options: KmsKeyProviderOptions) {
    this.keyId = options.keyId;
    this.client = options.client ?? new KMSClient(kmsClientConfig(options.clientConfig));
  }

  async currentKeyId(): Promise<string> {
    // An alias may be re-pointed to a new key, so it is resolved again after a minute: a
    // rewrap run then needs one DescribeKey a minute, not one per secret. A stale answer only
    // makes rewrap skip work a rerun picks up; it never affects what opens.
    const now = Date.now();
    if (this.resolved && this.resolved.until > now) return this.resolved.arn;
    const out = await this.call(() => this.client.send(new DescribeKeyCommand({ KeyId: this.keyId })));
    if (!out.KeyMetadata?.Arn) throw new IntegrityError('kms did not describe the key');
    this.resolved = { arn: out.KeyMetadata.Arn, until: now + RESOLVE_TTL_MS };
    return out.KeyMetadata.Arn;
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
    // KeyId pins the key that must have wrapped it: a forged record cannot make us use another.
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

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw mapKmsError(error);
    }
  }
}
