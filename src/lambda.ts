import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import serverlessExpress, { getCurrentInvoke } from '@codegenie/serverless-express';
import { lambdaAuthenticator } from './adapters/auth/lambda-identity';
import { DynamoDbSecretStore } from './adapters/dynamodb/dynamodb-secret-store';
import { dynamoClientConfig } from './adapters/dynamodb/table';
import { stdoutLogger } from './adapters/http/logger';
import { KmsKeyProvider, kmsClientConfig } from './adapters/kms/kms-key-provider';
import { loadConfig } from './config';
import { assemble } from './wiring';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * Built once per container: config, SDK clients (and their connection pools), the data-key
 * cache and the express app outlive single invocations. A bad config fails the first
 * invocation loudly instead of serving with defaults.
 */
function build(): Handler {
  const config = loadConfig({
    ...process.env,
    AWS_LAMBDA_FUNCTION_NAME: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'kms-vault',
  });
  const dynamo = new DynamoDBClient(dynamoClientConfig(config.region));
  const { app } = assemble(config, {
    keys: new KmsKeyProvider({ keyId: config.kmsKeyId!, clientConfig: kmsClientConfig({ region: config.region }) }),
    store: new DynamoDbSecretStore({ client: dynamo, tableName: config.tableName }),
    policy: config.policy!,
    logger: stdoutLogger,
    // Identity only from the event API Gateway verified; never from headers.
    authenticate: lambdaAuthenticator(() => getCurrentInvoke().event),
  });
  return serverlessExpress({ app }) as unknown as Handler;
}

let built: Handler | undefined;

export const handler: Handler = (event, context) => {
  built ??= build();
  return built(event, context);
};
