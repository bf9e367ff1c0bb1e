import { AuthenticationError } from '../../core/errors';
import type { Authenticator } from './authenticator';

interface IdentityEvent {
  version?: string;
  requestContext?: {
    identity?: { userArn?: string | null };
    authorizer?: { iam?: { userArn?: string | null } };
  };
}

/**
 * The caller as API Gateway (REST: `identity.userArn`) or an HTTP API / function URL
 * (`authorizer.iam.userArn`) recorded it after verifying SigV4. Only the event's request
 * context counts: headers are caller-controlled and never name the caller.
 */
export function principalFromEvent(event: unknown): string {
  const context = (event as IdentityEvent | undefined)?.requestContext;
  const arn =
    (event as IdentityEvent)?.version === '2.0' ? context?.authorizer?.iam?.userArn : context?.identity?.userArn;
  if (typeof arn !== 'string' || arn.length === 0)
    throw new AuthenticationError('no IAM identity in the request context');
  return arn;
}

/** An Authenticator over the current Lambda invocation's event. */
export function lambdaAuthenticator(currentEvent: () => unknown): Authenticator {
  return () => principalFromEvent(currentEvent());
}
