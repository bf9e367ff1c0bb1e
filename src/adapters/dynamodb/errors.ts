import { DependencyError, VersionConflictError } from '../../core/errors';

const CONFLICT = new Set(['ConditionalCheckFailedException']);
/** Errors that mean "our request was wrong": a bug, not an outage, so they stay 500s. */
const OUR_FAULT = new Set(['ValidationException', 'SerializationException']);

/** Translates SDK errors into the vault's vocabulary; anything unrecognised is a dependency failure. */
export function mapDynamoError(error: unknown): Error {
  const name = (error as { name?: string })?.name ?? 'Error';
  if (CONFLICT.has(name)) return new VersionConflictError(undefined, { cause: error });
  if (OUR_FAULT.has(name)) return error as Error;
  const throttled = /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded/.test(name);
  return new DependencyError('dynamodb', throttled ? `dynamodb throttled (${name})` : `dynamodb failed (${name})`, {
    cause: error,
    retryAfterSeconds: throttled ? 2 : 1,
  });
}
