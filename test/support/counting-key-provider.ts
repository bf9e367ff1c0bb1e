import { randomBytes } from 'node:crypto';
import { LocalKeyProvider } from '../../src/adapters/local-keys/local-key-provider';
import type { DataKey, EncryptionContext, KeyProvider } from '../../src/core/ports';

export type KeyOperation = 'currentKeyId' | 'generateDataKey' | 'decryptDataKey' | 'rewrapDataKey';

/** A plaintext data key as the caller received it. */
export interface HandedOutKey {
  operation: 'generateDataKey' | 'decryptDataKey';
  /** The very buffer the caller got, so a test can check the caller zeroed it. */
  buffer: Buffer;
  /** Its bytes at the moment it was handed out. */
  bytes: Buffer;
}

/**
 * The one test decorator for key providers: wraps any KeyProvider, counts every call (failed
 * ones too, as a key service bills them), and injects faults. It stands in for KMS in core and
 * HTTP tests (over a LocalKeyProvider by default) and is run through the KeyProvider contract,
 * so it cannot change what the provider it wraps does.
 */
export class CountingKeyProvider implements KeyProvider {
  readonly calls: Record<KeyOperation, number> = {
    currentKeyId: 0,
    generateDataKey: 0,
    decryptDataKey: 0,
    rewrapDataKey: 0,
  };
  /** Every plaintext key handed out, when built with `{ keepKeys: true }`. */
  readonly handedOut: HandedOutKey[] = [];
  private readonly queued = new Map<KeyOperation, Error[]>();
  private readonly outages = new Map<KeyOperation, { after: number; error: () => Error }>();
  private readonly keepKeys: boolean;

  constructor(
    readonly inner: KeyProvider = new LocalKeyProvider(randomBytes(32)),
    options: { keepKeys?: boolean } = {},
  ) {
    this.keepKeys = options.keepKeys ?? false;
  }

  /** Calls to generate, decrypt and rewrap together: what a key service would have seen. */
  get keyServiceCalls(): number {
    return this.calls.generateDataKey + this.calls.decryptDataKey + this.calls.rewrapDataKey;
  }

  /** The next call of `operation` throws `error` (queued in order), then calls behave again. */
  failNext(operation: KeyOperation, error: Error): this {
    this.queued.set(operation, [...(this.queued.get(operation) ?? []), error]);
    return this;
  }

  /** Every call of `operation` after the first `healthy` throws: an outage that does not clear. */
  failAfter(operation: KeyOperation, healthy: number, error: () => Error): this {
    this.outages.set(operation, { after: healthy, error });
    return this;
  }

  async currentKeyId(): Promise<string> {
    this.enter('currentKeyId');
    return this.inner.currentKeyId();
  }

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    this.enter('generateDataKey');
    const dataKey = await this.inner.generateDataKey(context);
    this.keep('generateDataKey', dataKey.plaintext);
    return dataKey;
  }

  async decryptDataKey(wrapped: Buffer, keyId: string, context: EncryptionContext): Promise<Buffer> {
    this.enter('decryptDataKey');
    return this.keep('decryptDataKey', await this.inner.decryptDataKey(wrapped, keyId, context));
  }

  async rewrapDataKey(
    wrapped: Buffer,
    keyId: string,
    context: EncryptionContext,
  ): Promise<{ wrapped: Buffer; keyId: string }> {
    this.enter('rewrapDataKey');
    return this.inner.rewrapDataKey(wrapped, keyId, context);
  }

  private enter(operation: KeyOperation): void {
    this.calls[operation] += 1;
    const next = this.queued.get(operation)?.shift();
    if (next) throw next;
    const outage = this.outages.get(operation);
    if (outage && this.calls[operation] > outage.after) throw outage.error();
  }

  private keep(operation: HandedOutKey['operation'], buffer: Buffer): Buffer {
    if (this.keepKeys) this.handedOut.push({ operation, buffer, bytes: Buffer.from(buffer) });
    return buffer;
  }
}
