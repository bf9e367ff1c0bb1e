import { Metrics } from '@aws-lambda-powertools/metrics';
import { createLambdaFront, type LambdaFront } from './adapters/http/lambda-front';
import { stdoutLogger } from './adapters/log/logger';
import { emfObserver } from './adapters/metrics/emf';
import { composeFrom } from './composition/assemble';
import { awsAdapters } from './composition/aws-adapters';
import { ConfigError, loadConfig } from './config';

/**
 * Built once per container, on the first invocation: config, SDK clients (and their connection
 * pools), the data-key cache and the front outlive single invocations. A bad config fails every
 * invocation loudly instead of serving with defaults. The front (lambda-front.ts) reads API
 * Gateway events itself: no HTTP framework is loaded at init.
 */
function build(): LambdaFront {
  const env = { ...process.env, AWS_LAMBDA_FUNCTION_NAME: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'kms-vault' };
  const config = loadConfig(env);
  if (config.mode !== 'lambda') throw new ConfigError('the Lambda handler needs Lambda settings');
  const { vault, keys } = composeFrom(config, awsAdapters(config), { logger: stdoutLogger });
  const metrics = new Metrics({ namespace: 'kms-vault', serviceName: 'kms-vault' });
  return createLambdaFront({
    vault,
    logger: stdoutLogger,
    policy: config.policy,
    observe: emfObserver(metrics, keys),
  });
}

let built: LambdaFront | undefined;

export const handler = (event: unknown, _context: unknown): Promise<unknown> => {
  built ??= build();
  return built(event);
};
