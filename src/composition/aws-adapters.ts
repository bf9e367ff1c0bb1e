import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDbSecretStore } from '../adapters/dynamodb/dynamodb-secret-store';
import { DynamoDbTrailStore } from '../adapters/dynamodb/dynamodb-trail-store';
import { dynamoClientConfig } from '../adapters/dynamodb/table';
import { KmsKeyProvider, kmsClientConfig } from '../adapters/kms/kms-key-provider';
import { KmsMacProvider } from '../adapters/kms/kms-mac-provider';
import type { AwsConfig, LambdaConfig } from '../config';
import type { Adapters } from './assemble';

/**
 * KMS and DynamoDB, for the server's AWS mode and for Lambda. Kept apart from embedded mode's
 * adapters so the Lambda bundle carries neither dynalite nor the local key provider.
 */
export function awsAdapters(config: AwsConfig | LambdaConfig): Adapters {
  const kms = new KMSClient(kmsClientConfig({ region: config.region }));
  const dynamo = new DynamoDBClient(dynamoClientConfig(config.region));
  return {
    keys: new KmsKeyProvider({ keyId: config.kmsKeyId, previousKeyIds: config.previousKmsKeyIds, client: kms }),
    macs: new KmsMacProvider(config.macKeyId, kms),
    store: new DynamoDbSecretStore({ client: dynamo, tableName: config.tableName }),
    ...(config.audit.mode === 'durable' && { trail: new DynamoDbTrailStore(dynamo, config.audit.tableName) }),
    describe: `${config.mode === 'lambda' ? 'Lambda' : 'AWS'} mode, table ${config.tableName}, KMS key ${config.kmsKeyId} (${config.region})`,
    close: async () => {
      dynamo.destroy();
      kms.destroy();
    },
  };
}
