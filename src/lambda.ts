import { Metrics } from '@aws-lambda-powertools/metrics';
import serverlessExpress, { getCurrentInvoke } from '@codegenie/serverless-express';
import { lambdaAuthenticator } from './adapters/auth/lambda-identity';
import { createApp } from './adapters/http/app';
import { gatewayRequestIdOf } from './adapters/http/caller-context';
import { stdoutLogger } from './adapters/log/logger';
import { emfObserver } from './adapters/metrics/emf';
import { composeFrom } from './composition/assemble';
import { awsAdapters } from './composition/aws-adapters';
import { ConfigError, loadConfig } from './config';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * Built once per container: config, SDK clients (and their connection pools), the data-key
 * cache and the express app outlive single invocations. A bad config fails every invocation
 * loudly instead of serving with defaults.
 */
function build(): Handler {
  const env = { ...process.env, AWS_LAMBDA_FUNCTION_NAME: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'kms-vault' };
  const config = loadConfig(env);
  if (config.mode !== 'lambda') throw new ConfigError('the Lambda handler needs Lambda settings');
  const { vault, keys } = composeFrom(config, awsAdapters(config), { logger: stdoutLogger });
  // Identity only from the event API Gateway verified; never from headers.
  const authenticate = lambdaAuthenticator(() => getCurrentInvoke().event);
  const metrics = new Metrics({ namespace: 'kms-vault', serviceName: 'kms-vault' });
  const app = createApp({
    vault,
    authenticate,
    logger: stdoutLogger,
    policy: config.policy,
    observe: emfObserver(metrics, keys),
    // API Gateway's request id is ours too, so a log line and the gateway's logs correlate.
    requestIdOf: () => gatewayRequestIdOf(getCurrentInvoke().event),
  });
  return serverlessExpress({ app }) as unknown as Handler;
}

let built: Handler | undefined;

export const handler: Handler = (event, context) => {
  built ??= build();
  return built(event, context);
};
