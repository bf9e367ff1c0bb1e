import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  DecryptCommand,
  DescribeKeyCommand,
  GenerateDataKeyCommand,
  KMSClient,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { encodeContext } from '../../src/core/envelope';

export const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555';
export const NEW_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/99999999-8888-7777-6666-555555555555';

const named = (name: string) => Object.assign(new Error(name), { name, $metadata: {} });

/**
 * A KMS stand-in on aws-sdk-client-mock that behaves like the service where the vault relies
 * on it: blobs are sealed to a key and context, Decrypt refuses a wrong context or key, and
 * a disabled key refuses everything. Calls are counted by the mock itself.
 */
export class FakeKms {
  readonly client = new KMSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  readonly mock: AwsClientStub<KMSClient>;
  readonly masters = new Map<string, Buffer>([
    [KEY_ARN, randomBytes(32)],
    [NEW_KEY_ARN, randomBytes(32)],
  ]);
  readonly disabled = new Set<string>();
  current = KEY_ARN;
  /** Errors the next calls of a command throw, in order, before behaving normally again. */
  readonly faults = new Map<string, Error[]>();

  failNext(command: 'GenerateDataKey' | 'Decrypt' | 'ReEncrypt', error: Error): void {
    this.faults.set(command, [...(this.faults.get(command) ?? []), error]);
  }

  private fault(command: string): void {
    const next = this.faults.get(command)?.shift();
    if (next) throw next;
  }

  constructor() {
    this.mock = mockClient(this.client);
    this.mock
      .on(GenerateDataKeyCommand)
      .callsFake((input: { KeyId: string; EncryptionContext: Record<string, string> }) => {
        this.fault('GenerateDataKey');
        const arn = this.resolve(input.KeyId);
        const plaintext = randomBytes(32);
        return {
          KeyId: arn,
          Plaintext: new Uint8Array(plaintext),
          CiphertextBlob: this.wrap(arn, plaintext, input.EncryptionContext),
        };
      });
    this.mock
      .on(DecryptCommand)
      .callsFake((input: { CiphertextBlob: Uint8Array; KeyId: string; EncryptionContext: Record<string, string> }) => {
        this.fault('Decrypt');
        const { arn, key } = this.unwrap(Buffer.from(input.CiphertextBlob), input.EncryptionContext);
        if (input.KeyId && this.resolve(input.KeyId) !== arn) throw named('IncorrectKeyException');
        return { KeyId: arn, Plaintext: new Uint8Array(key) };
      });
    this.mock
      .on(ReEncryptCommand)
      .callsFake(
        (input: {
          CiphertextBlob: Uint8Array;
          SourceKeyId: string;
          SourceEncryptionContext: Record<string, string>;
          DestinationKeyId: string;
          DestinationEncryptionContext: Record<string, string>;
        }) => {
          this.fault('ReEncrypt');
          const { arn, key } = this.unwrap(Buffer.from(input.CiphertextBlob), input.SourceEncryptionContext);
          if (this.resolve(input.SourceKeyId) !== arn) throw named('IncorrectKeyException');
          const destination = this.resolve(input.DestinationKeyId);
          return {
            SourceKeyId: arn,
            KeyId: destination,
            CiphertextBlob: this.wrap(destination, key, input.DestinationEncryptionContext),
          };
        },
      );
    this.mock
      .on(DescribeKeyCommand)
      .callsFake((input: { KeyId: string }) => ({ KeyMetadata: { Arn: this.resolve(input.KeyId), KeyId: 'x' } }));
  }

  calls(command: 'GenerateDataKeyCommand' | 'DecryptCommand' | 'ReEncryptCommand'): number {
    return this.mock.calls().filter((call) => call.args[0].constructor.name === command).length;
  }

  /** `alias/vault` points at whatever key is current, like a re-pointed alias. */
  private resolve(keyId: string): string {
    const arn = keyId === 'alias/vault' ? this.current : keyId;
    if (!this.masters.has(arn)) throw named('NotFoundException');
    if (this.disabled.has(arn)) throw named('DisabledException');
    return arn;
  }

  private wrap(arn: string, plaintext: Buffer, context: Record<string, string>): Uint8Array {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.masters.get(arn)!, iv);
    cipher.setAAD(encodeContext(context, arn));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    const arnBytes = Buffer.from(arn);
    return new Uint8Array(Buffer.concat([Buffer.from([arnBytes.length]), arnBytes, iv, body]));
  }

  private unwrap(blob: Buffer, context: Record<string, string>): { arn: string; key: Buffer } {
    try {
      const arn = blob.subarray(1, 1 + blob[0]!).toString();
      const rest = blob.subarray(1 + blob[0]!);
      const master = this.masters.get(arn);
      if (!master) throw new Error('unknown key');
      if (this.disabled.has(arn)) throw named('DisabledException');
      const decipher = createDecipheriv('aes-256-gcm', master, rest.subarray(0, 12));
      decipher.setAAD(encodeContext(context, arn));
      decipher.setAuthTag(rest.subarray(rest.length - 16));
      return { arn, key: Buffer.concat([decipher.update(rest.subarray(12, rest.length - 16)), decipher.final()]) };
    } catch (error) {
      if ((error as Error).name === 'DisabledException') throw error;
      throw named('InvalidCiphertextException');
    }
  }
}
