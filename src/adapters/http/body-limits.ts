import type { IncomingHttpHeaders } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { TooLargeError, ValidationError, type VaultError } from '../../core/errors';
import { UnsupportedMediaTypeError } from './errors';

export const MAX_BODY_BYTES = 64 * 1024;

const tooLarge = () => new TooLargeError(`request body is larger than ${MAX_BODY_BYTES / 1024} KiB`);

/**
 * Why the vault will not read a request's body, from its headers alone (before a byte of it is
 * read and before identity, which needs the body's hash), or undefined:
 * - any Content-Encoding but identity: decompressing would hand the verifier bytes other than
 *   the ones sent (a spec-following signer hashes what it sends) and would run a decompressor
 *   for anyone, signed or not;
 * - a declared Content-Length over the limit: answered at once instead of after the client
 *   has sent (or failed to send) the whole body.
 * Both fronts ask this (express below, the Lambda front with the event's headers).
 */
export function unreadableBody(headers: IncomingHttpHeaders): VaultError | undefined {
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    return new UnsupportedMediaTypeError('request bodies must not be compressed (Content-Encoding: identity only)');
  }
  // Node's parser has already refused a Content-Length that is not a plain number.
  const declared = headers['content-length'];
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) return tooLarge();
  return undefined;
}

/** A body longer than the vault reads, once it is read (a front without Content-Length checks). */
export function bodyTooLarge(body: Buffer): VaultError | undefined {
  return body.length > MAX_BODY_BYTES ? tooLarge() : undefined;
}

/**
 * Refuses bodies the vault will not read (unreadableBody). The connection is closed after such
 * an answer, because the body is still on it, unread.
 */
export function refuseUnreadableBodies(req: Request, res: Response, next: NextFunction): void {
  const refusal = unreadableBody(req.headers);
  if (refusal) {
    res.setHeader('Connection', 'close');
    next(refusal);
    return;
  }
  next();
}

/**
 * Reads the raw body into `req.body` (a Buffer), at most MAX_BODY_BYTES, never decoded,
 * decompressed or parsed: identity (SigV4) hashes exactly these bytes. Written here rather than
 * taken from body-parser because nothing of that package's decoding is wanted, and the Lambda
 * bundle then carries neither it nor iconv-lite.
 */
export function readRawBody(req: Request, _res: Response, next: NextFunction): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  const finish = (error?: Error) => {
    if (done) return;
    done = true;
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onError);
    req.off('aborted', onAborted);
    if (error) {
      // The rest of the body is still on the connection, unread.
      req.unpipe();
      req.resume();
      next(error);
      return;
    }
    req.body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    next();
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) finish(tooLarge());
    else chunks.push(chunk);
  };
  const onEnd = () => finish();
  const onError = () => finish(new ValidationError('request body could not be read'));
  const onAborted = () => finish(new ValidationError('request body could not be read'));
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
  req.on('aborted', onAborted);
}
