import {
  DecryptCommand,
  DescribeKeyCommand,
  GenerateDataKeyCommand,
  GenerateMacCommand,
  KMSClient,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import type { FakeKms, KmsOperation } from './fake-kms';

/** The in-process front of the fake KMS: a KMSClient whose commands the key core answers. */
export interface FakeKmsClient {
  client: KMSClient;
  /** The aws-sdk-client-mock stub, for a test that overrides one command (e.g. `.rejects`). */
  mock: AwsClientStub<KMSClient>;
  /** Removes the stub; call it in afterEach so a failed test cannot leave it behind. */
  restore(): void;
}

/** Blobs leave as plain Uint8Arrays, as the SDK returns them, so callers must copy what they keep. */
function sdkShape(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return new Uint8Array(value);
  if (value instanceof Date || value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sdkShape(v)]));
}

export function mockKmsClient(kms: FakeKms): FakeKmsClient {
  const client = new KMSClient({
    region: kms.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const mock = mockClient(client);
  const answer = (operation: KmsOperation) => (input: object) =>
    sdkShape(kms.invoke(operation, input as Record<string, unknown>)) as never;
  mock.on(GenerateDataKeyCommand).callsFake(answer('GenerateDataKey'));
  mock.on(DecryptCommand).callsFake(answer('Decrypt'));
  mock.on(ReEncryptCommand).callsFake(answer('ReEncrypt'));
  mock.on(DescribeKeyCommand).callsFake(answer('DescribeKey'));
  mock.on(GenerateMacCommand).callsFake(answer('GenerateMac'));
  return { client, mock, restore: () => mock.restore() };
}
