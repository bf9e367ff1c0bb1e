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

export function sendError(res: Response, status: number, code: string, message: string, details?: string[]): void {
  const { requestId } = res.locals;
  res.status(status).json({ error: { code, message, requestId, ...(details && details.length > 0 && { details }) } });
}

/**
 * The one place errors become HTTP. Vault errors keep their code and message (written for
 * callers); anything else is a 500 with no detail, and its cause is logged by name and stack
 * only: messages of parse errors quote the request body, so they are never logged.
 */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (raw, _req, res, _next) => {
    const error = raw instanceof VaultError ? raw : (fromHttpStack(raw as HttpStackError | undefined) ?? raw);
    if (res.headersSent) return;
    if (error instanceof VaultError) {
      const status = statusOf(error);
      res.locals.errorCode = error.code;
      if (error instanceof DependencyError) {
        res.locals.errorDetail = error.detail;
        res.setHeader('Retry-After', String(error.retryAfterSeconds));
      }
      if (error instanceof AuthenticationError) res.locals.errorDetail = error.reason;
      if (status >= 500) logFailure(logger, res.locals.requestId, error);
      // Integrity failures are answered without detail: the caller learns only that it failed.
      const message = status === 500 ? 'internal error' : error.message;
      sendError(res, status, error.code, message, detailsOf(error));
      return;
    }
    res.locals.errorCode = 'internal';
    logFailure(logger, res.locals.requestId, error as Error);
    sendError(res, 500, 'internal', 'internal error');
  };
}

function logFailure(logger: Logger, requestId: string, error: Error): void {
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
