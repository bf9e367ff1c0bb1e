import type { IncomingHttpHeaders } from 'node:http';
import { ValidationError } from '../../core/errors';
import type { Caller } from '../../core/vault';

/** 1 to 128 printable ASCII characters, not starting or ending with a space. */
const PURPOSE = /^[\x21-\x7e](?:[\x20-\x7e]{0,126}[\x21-\x7e])?$/;

/**
 * What a request says about itself beyond who sent it: the purpose the caller states
 * (`X-Vault-Purpose`, recorded on the access trail as sent) and, on Lambda, API Gateway's
 * request id. A purpose that is not short printable text is a 400: it would go into every
 * record and every owner's view as is. Like labels, a purpose is plaintext: never a secret.
 */
export function callerContext(
  headers: IncomingHttpHeaders,
  gatewayRequestId: string | undefined,
): Pick<Caller, 'purpose' | 'gatewayRequestId'> {
  const context: Pick<Caller, 'purpose' | 'gatewayRequestId'> = {};
  const purpose = headers['x-vault-purpose'];
  if (purpose !== undefined) {
    if (typeof purpose !== 'string' || !PURPOSE.test(purpose))
      throw new ValidationError('X-Vault-Purpose must be 1-128 printable ASCII characters');
    context.purpose = purpose;
  }
  if (gatewayRequestId) context.gatewayRequestId = gatewayRequestId;
  return context;
}

/** API Gateway's request id from a Lambda event (REST and HTTP APIs both carry `requestContext.requestId`). */
export function gatewayRequestIdOf(event: unknown): string | undefined {
  const id = (event as { requestContext?: { requestId?: unknown } } | undefined)?.requestContext?.requestId;
  return typeof id === 'string' && /^[A-Za-z0-9=_.:/-]{1,128}$/.test(id) ? id : undefined;
}
