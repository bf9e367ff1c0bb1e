import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomUUID } from 'node:crypto';

/**
 * The key core of a KMS stand-in: keys by ARN, aliases, disabled keys, and data keys sealed to
 * a key and an encryption context. Two thin fronts put it where the code under test looks for
 * KMS: `mockKmsClient` (aws-sdk-client-mock, in process) and `serveKms` (KMS's JSON wire
 * protocol on 127.0.0.1, for the bundled Lambda handler, which carries its own SDK copy).
 *
 * It behaves like the service where the vault relies on it: Decrypt and ReEncrypt refuse a
 * different context and a KeyId or SourceKeyId other than the key that wrapped the blob, a
 * disabled key refuses everything but DescribeKey, and an alias resolves to whatever key it
 * points at now.
 */

export type KmsOperation = 'GenerateDataKey' | 'Decrypt' | 'ReEncrypt' | 'DescribeKey' | 'GenerateMac';
type Context = Record<string, string>;

/** A refusal as the SDK surfaces one: the exception name, a fault side and an HTTP status. */
export class KmsError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number };

  constructor(name: string, message = name, fault: 'client' | 'server' = 'client') {
    super(message);
    this.name = name;
    this.$fault = fault;
    this.$metadata = { httpStatusCode: fault === 'client' ? 400 : 500 };
  }
}

/** One request the fake answered or refused. */
export interface KmsCall {
  operation: string;
  /** KeyId, or SourceKeyId for ReEncrypt, as sent. */
  keyId?: string;
  /** EncryptionContext, or SourceEncryptionContext for ReEncrypt, as sent. */
  context?: Context;
  /** The exception name, when the call was refused. */
  error?: string;
  /** The SigV4 Authorization header, when the call came over HTTP. */
  authorization?: string;
}

interface Key {
  id: string;
  arn: string;
  master: Buffer;
  enabled: boolean;
  created: Date;
}

const MAGIC = Buffer.from('FKMS2');
const IV = 12;
const TAG = 16;

/**
 * The encryption context as GCM additional data, bound to the key's ARN: JSON of the pairs in
 * key order. Deliberately not production's encodeContext, so a fault in that encoder cannot be
 * masked by the fake sharing it.
 */
function additionalData(arn: string, context: Context = {}): Buffer {
  const pairs = Object.keys(context)
    .sort()
    .map((key) => [key, context[key]]);
  return Buffer.from(JSON.stringify([arn, pairs]), 'utf8');
}

function asContext(value: unknown, field: string): Context | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new KmsError('ValidationException', `${field} is a map`);
  for (const v of Object.values(value)) {
    if (typeof v !== 'string') throw new KmsError('ValidationException', `${field} values are strings`);
  }
  return value as Context;
}

function asBlob(value: unknown): Buffer {
  if (!(value instanceof Uint8Array) || value.length === 0)
    throw new KmsError('ValidationException', 'CiphertextBlob is required');
  return Buffer.from(value);
}

export class FakeKms {
  readonly region: string;
  readonly account: string;
  /** Every call, in order, including refused ones. */
  readonly calls: KmsCall[] = [];
  private readonly keys = new Map<string, Key>();
  private readonly aliases = new Map<string, string>();
  private readonly faults = new Map<string, Error[]>();

  constructor(options: { region?: string; account?: string } = {}) {
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '111122223333';
  }

  /** Creates an enabled symmetric key; returns its ARN. */
  createKey(keyId: string = randomUUID()): string {
    const arn = `arn:aws:kms:${this.region}:${this.account}:key/${keyId}`;
    this.keys.set(arn, { id: keyId, arn, master: randomBytes(32), enabled: true, created: new Date() });
    return arn;
  }

  /** Creates `alias` or re-points it, as `aws kms update-alias` does. */
  pointAlias(alias: string, keyId: string): void {
    if (!alias.startsWith('alias/')) throw new Error(`alias names start with alias/: ${alias}`);
    this.aliases.set(alias, this.resolve(keyId));
  }

  disable(keyId: string): void {
    this.keys.get(this.resolve(keyId))!.enabled = false;
  }

  enable(keyId: string): void {
    this.keys.get(this.resolve(keyId))!.enabled = true;
  }

  /** The next call of `operation` throws `error` (queued in order), then calls behave again. */
  failNext(operation: KmsOperation, error: Error): void {
    this.faults.set(operation, [...(this.faults.get(operation) ?? []), error]);
  }

  /** How many calls of `operation` arrived, refused ones included. */
  count(operation: KmsOperation): number {
    return this.calls.filter((call) => call.operation === operation).length;
  }

  /**
   * Answers one request in SDK shape (blobs as Buffers, dates as Dates) and records it. Fronts
   * call this; tests normally go through a front.
   */
  invoke(
    operation: string,
    input: Record<string, unknown>,
    note: Pick<KmsCall, 'authorization'> = {},
  ): Record<string, unknown> {
    const keyId = input.KeyId ?? input.SourceKeyId;
    const context = input.EncryptionContext ?? input.SourceEncryptionContext;
    const call: KmsCall = {
      operation,
      ...(typeof keyId === 'string' && { keyId }),
      ...(context !== undefined && { context: context as Context }),
      ...note,
    };
    this.calls.push(call);
    try {
      const fault = this.faults.get(operation)?.shift();
      if (fault) throw fault;
      switch (operation) {
        case 'GenerateDataKey':
          return this.generateDataKey(input);
        case 'Decrypt':
          return this.decrypt(input);
        case 'ReEncrypt':
          return this.reEncrypt(input);
        case 'DescribeKey':
          return this.describeKey(input);
        case 'GenerateMac':
          return this.generateMac(input);
        default:
          throw new KmsError('UnknownOperationException', `operation ${operation} is not faked`);
      }
    } catch (error) {
      call.error = (error as Error).name;
      throw error;
    }
  }

  /** HMAC-SHA-256 under the key's own secret; any fake key can serve as an HMAC key. */
  private generateMac(input: Record<string, unknown>): Record<string, unknown> {
    const key = this.usable(this.resolve(input.KeyId));
    if (input.MacAlgorithm !== 'HMAC_SHA_256') throw new KmsError('ValidationException', 'MacAlgorithm HMAC_SHA_256');
    const message = asBlob(input.Message);
    if (message.length > 4096) throw new KmsError('ValidationException', 'Message is at most 4096 bytes');
    return {
      KeyId: key.arn,
      MacAlgorithm: 'HMAC_SHA_256',
      Mac: createHmac('sha256', key.master).update(message).digest(),
    };
  }

  private generateDataKey(input: Record<string, unknown>): Record<string, unknown> {
    const key = this.usable(this.resolve(input.KeyId));
    const { KeySpec: spec, NumberOfBytes: bytes } = input;
    if ((spec === undefined) === (bytes === undefined))
      throw new KmsError('ValidationException', 'exactly one of KeySpec and NumberOfBytes');
    let length: number;
    if (spec === 'AES_256') length = 32;
    else if (spec === 'AES_128') length = 16;
    else if (typeof bytes === 'number' && Number.isInteger(bytes) && bytes >= 1 && bytes <= 1024) length = bytes;
    else throw new KmsError('ValidationException', 'KeySpec is AES_256 or AES_128, NumberOfBytes 1..1024');
    const plaintext = randomBytes(length);
    return {
      KeyId: key.arn,
      Plaintext: plaintext,
      CiphertextBlob: this.seal(key, plaintext, asContext(input.EncryptionContext, 'EncryptionContext')),
    };
  }

  private decrypt(input: Record<string, unknown>): Record<string, unknown> {
    const blob = asBlob(input.CiphertextBlob);
    const key = this.keyOf(blob);
    // Like KMS: a KeyId that names another key is refused before anything is unwrapped.
    if (input.KeyId !== undefined && this.resolve(input.KeyId) !== key.arn)
      throw new KmsError('IncorrectKeyException', 'the ciphertext was not wrapped by that key');
    const plaintext = this.open(this.usable(key.arn), blob, asContext(input.EncryptionContext, 'EncryptionContext'));
    return { KeyId: key.arn, Plaintext: plaintext, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  }

  private reEncrypt(input: Record<string, unknown>): Record<string, unknown> {
    const blob = asBlob(input.CiphertextBlob);
    const source = this.keyOf(blob);
    if (input.SourceKeyId !== undefined && this.resolve(input.SourceKeyId) !== source.arn)
      throw new KmsError('IncorrectKeyException', 'the ciphertext was not wrapped by the source key');
    const destination = this.usable(this.resolve(input.DestinationKeyId));
    const plaintext = this.open(
      this.usable(source.arn),
      blob,
      asContext(input.SourceEncryptionContext, 'SourceEncryptionContext'),
    );
    try {
      return {
        SourceKeyId: source.arn,
        KeyId: destination.arn,
        CiphertextBlob: this.seal(
          destination,
          plaintext,
          asContext(input.DestinationEncryptionContext, 'DestinationEncryptionContext'),
        ),
        SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    } finally {
      plaintext.fill(0);
    }
  }

  private describeKey(input: Record<string, unknown>): Record<string, unknown> {
    // DescribeKey answers for a disabled key too, as KMS does: it reports the state.
    const key = this.keys.get(this.resolve(input.KeyId))!;
    return {
      KeyMetadata: {
        AWSAccountId: this.account,
        KeyId: key.id,
        Arn: key.arn,
        Enabled: key.enabled,
        KeyState: key.enabled ? 'Enabled' : 'Disabled',
        KeySpec: 'SYMMETRIC_DEFAULT',
        KeyUsage: 'ENCRYPT_DECRYPT',
        KeyManager: 'CUSTOMER',
        Origin: 'AWS_KMS',
        CreationDate: key.created,
      },
    };
  }

  /** A key id, key ARN, alias name or alias ARN, to the key ARN it names now. */
  private resolve(keyId: unknown): string {
    if (typeof keyId !== 'string' || keyId === '') throw new KmsError('ValidationException', 'KeyId is required');
    const aliasArn = /^arn:aws:kms:([^:]+):(\d{12}):(alias\/.+)$/.exec(keyId);
    const name = aliasArn && aliasArn[1] === this.region && aliasArn[2] === this.account ? aliasArn[3]! : keyId;
    if (name.startsWith('alias/')) {
      const target = this.aliases.get(name);
      if (target) return target;
    } else {
      if (this.keys.has(name)) return name;
      const arn = `arn:aws:kms:${this.region}:${this.account}:key/${name}`;
      if (this.keys.has(arn)) return arn;
    }
    throw new KmsError('NotFoundException', `key ${keyId} does not exist`);
  }

  private usable(arn: string): Key {
    const key = this.keys.get(arn)!;
    if (!key.enabled) throw new KmsError('DisabledException', `${arn} is disabled`);
    return key;
  }

  /** Blob: magic, ARN length (u16) and ARN, then iv, tag and ciphertext. */
  private seal(key: Key, plaintext: Buffer, context: Context | undefined): Buffer {
    const iv = randomBytes(IV);
    const cipher = createCipheriv('aes-256-gcm', key.master, iv, { authTagLength: TAG });
    cipher.setAAD(additionalData(key.arn, context));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const arn = Buffer.from(key.arn, 'utf8');
    const length = Buffer.alloc(2);
    length.writeUInt16BE(arn.length);
    return Buffer.concat([MAGIC, length, arn, iv, cipher.getAuthTag(), ct]);
  }

  /** The key a blob names; a blob this KMS did not make is an invalid ciphertext. */
  private keyOf(blob: Buffer): Key {
    const invalid = () => new KmsError('InvalidCiphertextException', 'not a ciphertext of this KMS');
    if (blob.length < MAGIC.length + 2 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) throw invalid();
    const length = blob.readUInt16BE(MAGIC.length);
    const key = this.keys.get(blob.subarray(MAGIC.length + 2, MAGIC.length + 2 + length).toString('utf8'));
    if (!key || blob.length < MAGIC.length + 2 + length + IV + TAG) throw invalid();
    return key;
  }

  private open(key: Key, blob: Buffer, context: Context | undefined): Buffer {
    const start = MAGIC.length + 2 + Buffer.byteLength(key.arn, 'utf8');
    const iv = blob.subarray(start, start + IV);
    const tag = blob.subarray(start + IV, start + IV + TAG);
    const decipher = createDecipheriv('aes-256-gcm', key.master, iv, { authTagLength: TAG });
    decipher.setAAD(additionalData(key.arn, context));
    decipher.setAuthTag(tag);
    const head = decipher.update(blob.subarray(start + IV + TAG));
    try {
      return Buffer.concat([head, decipher.final()]);
    } catch {
      head.fill(0);
      throw new KmsError('InvalidCiphertextException', 'the ciphertext or its encryption context does not match');
    }
  }
}

export const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555';
export const NEW_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/99999999-8888-7777-6666-555555555555';
export const VAULT_ALIAS = 'alias/vault';

/** The usual cast: two keys, and `alias/vault` on KEY_ARN (re-point it to NEW_KEY_ARN to rotate). */
export function vaultKms(): FakeKms {
  const kms = new FakeKms();
  kms.createKey(KEY_ARN.slice(KEY_ARN.lastIndexOf('/') + 1));
  kms.createKey(NEW_KEY_ARN.slice(NEW_KEY_ARN.lastIndexOf('/') + 1));
  kms.pointAlias(VAULT_ALIAS, KEY_ARN);
  return kms;
}
