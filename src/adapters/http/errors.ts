import type { ErrorRequestHandler, Response } from 'express';
import {
  AccessDeniedError,
  AuthenticationError,
  DependencyError,
  ExchangeIpNotWhitelistedError,
  ExchangeKeyInvalidError,
  ExchangeKeyRejectedError,
  SecretGoneError,
  SecretNotFoundError,
  TooLargeError,
  TooManyVersionsError,
  UnknownKeyError,
  ValidationError,
  VaultError,
  VersionConflictError,
} from '../../core/errors';
import { DuplicateExchangeKeyError, KindMismatchError } from '../../core/exchange-key-intake';
import type { Logger } from '../log/logger';
import './request-state';

/** The request is not JSON: an HTTP concern, so it lives here and not in the core. */
export class UnsupportedMediaTypeError extends VaultError {
  constructor(message = 'request bodies must be application/json') {
    super('unsupported_media_type', message);
  }
}

export class RouteNotFoundError extends VaultError {
  constructor() {
    super('not_found', 'no such route');
  }
}

function statusOf(error: VaultError): number {
  if (error instanceof ValidationError) return 400;
  if (error instanceof AuthenticationError) return 401;
  if (error instanceof AccessDeniedError) return 403;
  if (error instanceof SecretNotFoundError || error instanceof RouteNotFoundError) return 404;
  if (
    error instanceof VersionConflictError ||
    error instanceof TooManyVersionsError ||
    error instanceof DuplicateExchangeKeyError ||
    error instanceof KindMismatchError
  )
    return 409;
  if (
    error instanceof ExchangeKeyInvalidError ||
    error instanceof ExchangeIpNotWhitelistedError ||
    error instanceof ExchangeKeyRejectedError
  )
    return 422;
  if (error instanceof SecretGoneError) return 410;
  if (error instanceof TooLargeError) return 413;
  if (error instanceof UnsupportedMediaTypeError) return 415;
  if (error instanceof DependencyError) return 503;
  return 500;
}

/** What the HTTP stack (body-parser, the router) throws: http-errors with a status and a type. */
interface HttpStackError {
  type?: unknown;
  status?: unknown;
}

/**
 * body-parser marks its errors with `type`; they carry request bytes in their message, so only
 * the type is used. Any other error the HTTP stack marks as the client's fault (a 4xx status)
 * is a 400: a request the stack could not read is a bad request, not a vault failure.
 */
function fromHttpStack(error: HttpStackError | undefined): VaultError | undefined {
  switch (error?.type) {
    case 'entity.too.large':
      return new TooLargeError('request body is larger than 64 KiB');
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError('request bodies must not be compressed (Content-Encoding: identity only)');
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError();
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new ValidationError('request body could not be read');
  }
  const status = error?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ValidationError('request could not be read');
  }
  return undefined;
}

/** Caller-safe details: validation issues, or what an exchange said (its code, never its message). */
function detailsOf(error: VaultError): string[] | undefined {
  if (error instanceof ValidationError) return error.issues;
  if (error instanceof ExchangeKeyInvalidError) {
    return [`exchange: ${error.exchange}`, `exchangeCode: ${error.exchangeCode}`, `reason: ${error.reason}`];
  }
  if (error instanceof ExchangeIpNotWhitelistedError)
    return [`exchange: ${error.exchange}`, `exchangeCode: ${error.exchangeCode}`];
  if (error instanceof ExchangeKeyRejectedError) return [...error.reasons];
  return undefined;
}

/** The error body every response of the API has: `{"error": {code, message, requestId, details?}}`. */
export function errorBody(code: string, message: string, requestId: string, details?: string[]) {
  return { error: { code, message, requestId, ...(details && details.length > 0 && { details }) } };
}

export function sendError(res: Response, status: number, code: string, message: string, details?: string[]): void {
  res.status(status).json(errorBody(code, message, res.locals.requestId, details));
}

/** What an error becomes in HTTP, whichever front answers it (express or the Lambda front). */
export interface ErrorReply {
  status: number;
  code: string;
  /** Written for callers: a vault error's own message, or 'internal error' for every 500. */
  message: string;
  details?: string[];
  /** Seconds, for a Retry-After header (503). */
  retryAfterSeconds?: number;
  /** Log-only detail (which check, which dependency); never sent to callers. */
  errorDetail?: string;
  /** For 5xx: the error to log with logFailure (by name and stack, never its message). */
  failure?: Error;
}

/**
 * The one place errors become HTTP, as data: both fronts render it. Vault errors keep their
 * code and message (written for callers); anything else is a 500 with no detail. Pure: the
 * caller logs `failure` (logFailure) and sends the rest.
 */
export function errorReply(raw: unknown): ErrorReply {
  const error = raw instanceof VaultError ? raw : (fromHttpStack(raw as HttpStackError | undefined) ?? raw);
  if (!(error instanceof VaultError)) {
    return { status: 500, code: 'internal', message: 'internal error', failure: error as Error };
  }
  const status = statusOf(error);
  const details = detailsOf(error);
  return {
    status,
    code: error.code,
    // Integrity failures are answered without detail: the caller learns only that it failed.
    message: status === 500 ? 'internal error' : error.message,
    ...(details && { details }),
    ...(error instanceof DependencyError && { retryAfterSeconds: error.retryAfterSeconds, errorDetail: error.detail }),
    ...(error instanceof AuthenticationError && { errorDetail: error.reason }),
    ...(status >= 500 && { failure: error }),
  };
}

/**
 * The express end of errorReply. Messages of parse errors quote the request body, so a
 * failure is logged by name and stack only.
 */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (raw, _req, res, _next) => {
    if (res.headersSent) return;
    const reply = errorReply(raw);
    res.locals.errorCode = reply.code;
    if (reply.errorDetail !== undefined) res.locals.errorDetail = reply.errorDetail;
    if (reply.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(reply.retryAfterSeconds));
    if (reply.status >= 500) logFailure(logger, res.locals.requestId, reply.failure);
    sendError(res, reply.status, reply.code, reply.message, reply.details);
  };
}

export function logFailure(logger: Logger, requestId: string, error: Error | undefined): void {
  const stack = (error?.stack ?? '')
    .split('\n')
    .slice(1, 8)
    .map((line) => line.trim());
  const cause = (error as { cause?: Error }).cause;
  logger.write({
    type: 'error',
    requestId,
    name: error?.name,
    code: (error as { code?: string }).code,
    ...(error instanceof DependencyError && { dependency: error.dependency, detail: error.detail }),
    ...(error instanceof UnknownKeyError && { keyId: error.keyId }),
    ...(cause && { cause: cause.name }),
    stack,
  });
}
