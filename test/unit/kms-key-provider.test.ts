import {
  DecryptCommand,
  DescribeKeyCommand,
  GenerateDataKeyCommand,
  KMSClient,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { KmsKeyProvider } from '../../src/adapters/kms/kms-key-provider';
import { contextFor } from '../../src/core/envelope';
import { DependencyError, IntegrityError } from '../../src/core/errors';
import { KEY_ARN, NEW_KEY_ARN } from '../support/fake-kms';

const named = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`kms says ${name}`), { name, $metadata: {}, ...extra });

describe('KmsKeyProvider', () => {
  const client = new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const OLD_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000';
  const FOREIGN_KEY_ARN = 'arn:aws:kms:us-east-1:444455556666:key/abababab-abab-abab-abab-abababababab';
  const provider = new KmsKeyProvider({ keyId: KEY_ARN, previousKeyIds: [OLD_KEY_ARN], client });
  const context = contextFor('exchange-keys/u1/binance', 7);
  // A fresh stub per test, removed after it even when an assertion failed.
  let kms: AwsClientStub<KMSClient>;
  beforeEach(() => {
    kms = mockClient(client);
  });
  afterEach(() => kms.restore());

  it('asks GenerateDataKey for an AES_256 key under the configured KeyId with the exact context', async () => {
    kms
      .on(GenerateDataKeyCommand)
      .resolves({ KeyId: KEY_ARN, Plaintext: new Uint8Array(32).fill(7), CiphertextBlob: new Uint8Array([1, 2, 3]) });
    const dk = await provider.generateDataKey(context);
    expect(kms).toHaveReceivedCommandWith(GenerateDataKeyCommand, {
      KeyId: KEY_ARN,
      KeySpec: 'AES_256',
      EncryptionContext: { 'kms-vault:path': 'exchange-keys/u1/binance', 'kms-vault:version': '7' },
    });
    expect(kms.commandCalls(GenerateDataKeyCommand)[0]!.args[0].input.NumberOfBytes).toBeUndefined();
    expect(dk.plaintext).toEqual(Buffer.alloc(32, 7));
    expect(dk.wrapped).toEqual(Buffer.from([1, 2, 3]));
    expect(dk.keyId).toBe(KEY_ARN);
  });

  it('decrypts with the KeyId recorded in the envelope and the same context', async () => {
    kms.on(DecryptCommand).resolves({ KeyId: KEY_ARN, Plaintext: new Uint8Array(32).fill(9) });
    const key = await provider.decryptDataKey(Buffer.from([1, 2, 3]), OLD_KEY_ARN, context);
    expect(kms).toHaveReceivedCommandWith(DecryptCommand, {
      CiphertextBlob: new Uint8Array([1, 2, 3]),
      KeyId: OLD_KEY_ARN,
      EncryptionContext: context,
    });
    expect(key).toEqual(Buffer.alloc(32, 9));
  });

  it('rewraps with ReEncrypt, naming the source key and keeping the context both sides', async () => {
    kms.on(ReEncryptCommand).resolves({ KeyId: NEW_KEY_ARN, CiphertextBlob: new Uint8Array([4]) });
    const out = await provider.rewrapDataKey(Buffer.from([1]), OLD_KEY_ARN, context);
    expect(kms).toHaveReceivedCommandWith(ReEncryptCommand, {
      SourceKeyId: OLD_KEY_ARN,
      SourceEncryptionContext: context,
      DestinationKeyId: KEY_ARN,
      DestinationEncryptionContext: context,
    });
    expect(out).toEqual({ wrapped: Buffer.from([4]), keyId: NEW_KEY_ARN });
  });

  it('a stored key id outside the current and previous keys is refused with unknown_key, and no KMS call is made', async () => {
    await expect(provider.decryptDataKey(Buffer.from([1]), FOREIGN_KEY_ARN, context)).rejects.toMatchObject({
      code: 'unknown_key',
      keyId: FOREIGN_KEY_ARN,
    });
    await expect(provider.rewrapDataKey(Buffer.from([1]), FOREIGN_KEY_ARN, context)).rejects.toMatchObject({
      code: 'unknown_key',
    });
    expect(kms.calls()).toHaveLength(0);
  });

  it('with an alias, a key id the alias has since moved to is accepted after one DescribeKey', async () => {
    const viaAlias = new KmsKeyProvider({ keyId: 'alias/vault', client });
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: NEW_KEY_ARN } });
    kms.on(DecryptCommand).resolves({ KeyId: NEW_KEY_ARN, Plaintext: new Uint8Array(32).fill(1) });
    await expect(viaAlias.decryptDataKey(Buffer.from([1]), NEW_KEY_ARN, context)).resolves.toEqual(Buffer.alloc(32, 1));
    await expect(viaAlias.decryptDataKey(Buffer.from([1]), KEY_ARN, context)).rejects.toMatchObject({
      code: 'unknown_key',
    });
    expect(kms.commandCalls(DescribeKeyCommand)).toHaveLength(1);
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(1);
  });

  it('resolves an alias to the key ARN it points at now', async () => {
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: NEW_KEY_ARN } });
    await expect(new KmsKeyProvider({ keyId: 'alias/vault', client }).currentKeyId()).resolves.toBe(NEW_KEY_ARN);
    expect(kms).toHaveReceivedCommandWith(DescribeKeyCommand, { KeyId: 'alias/vault' });
  });

  it('refuses a data key of the wrong size', async () => {
    kms
      .on(GenerateDataKeyCommand)
      .resolves({ KeyId: KEY_ARN, Plaintext: new Uint8Array(16), CiphertextBlob: new Uint8Array([1]) });
    await expect(provider.generateDataKey(context)).rejects.toThrow(IntegrityError);
  });

  it.each(['InvalidCiphertextException', 'IncorrectKeyException'])('maps %s to IntegrityError', async (name) => {
    kms.on(DecryptCommand).rejects(named(name));
    await expect(provider.decryptDataKey(Buffer.from([1]), KEY_ARN, context)).rejects.toThrow(IntegrityError);
  });

  it.each([
    ['ThrottlingException', named('ThrottlingException')],
    ['KMSInternalException', named('KMSInternalException')],
    ['DependencyTimeoutException', named('DependencyTimeoutException')],
    ['a 5xx', named('ServiceUnavailable', { $metadata: { httpStatusCode: 503 } })],
    ['a client timeout', named('TimeoutError')],
    ['a refused connection', named('Error', { code: 'ECONNREFUSED' })],
  ])('maps %s to a retryable DependencyError', async (_label, error) => {
    kms.on(GenerateDataKeyCommand).rejects(error);
    const thrown = await provider.generateDataKey(context).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(DependencyError);
    expect((thrown as DependencyError).dependency).toBe('kms');
    expect((thrown as DependencyError).retryAfterSeconds).toBeGreaterThan(0);
  });

  it.each([
    ['DisabledException', 'kms key is disabled'],
    ['AccessDeniedException', 'kms access denied to the vault role'],
    ['KMSInvalidStateException', 'kms key is in an invalid state (pending deletion or import)'],
    ['NotFoundException', 'kms key not found'],
  ])('maps %s to a DependencyError whose detail says which', async (name, detail) => {
    kms.on(DecryptCommand).rejects(named(name));
    const thrown = (await provider
      .decryptDataKey(Buffer.from([1]), KEY_ARN, context)
      .catch((e: unknown) => e)) as DependencyError;
    expect(thrown).toBeInstanceOf(DependencyError);
    expect(thrown.detail).toBe(detail);
  });

  it('accepts a custom endpoint (LocalStack, local-kms)', async () => {
    const custom = new KmsKeyProvider({
      keyId: KEY_ARN,
      clientConfig: { endpoint: 'http://127.0.0.1:4566', region: 'us-east-1' },
    });
    const endpoint = await (custom as unknown as { client: KMSClient }).client.config.endpoint!();
    expect(`${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`).toBe('http://127.0.0.1:4566');
  });
});
