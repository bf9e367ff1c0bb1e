/**
 * What an identity check sees of a request, whatever carried it (express, a Lambda event): the
 * exact bytes that were signed, nothing parsed or decoded.
 */
export interface SignedRequest {
  method: string;
  /** The request target as received: raw path and raw query, not decoded. */
  url: string;
  /** Header names in lower case, as Node's IncomingMessage gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The raw body; empty when there is none. */
  body: Buffer;
}

/**
 * Names the caller as its identity source states it (an IAM ARN), or throws
 * AuthenticationError. The HTTP front normalises the ARN once, where it enters the app.
 * Embedded mode verifies SigV4; Lambda reads the identity API Gateway verified.
 */
export type Authenticator = (request: SignedRequest) => Promise<string> | string;
