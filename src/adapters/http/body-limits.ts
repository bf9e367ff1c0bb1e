import type { NextFunction, Request, Response } from 'express';
import { TooLargeError } from '../../core/errors';
import { UnsupportedMediaTypeError } from './errors';

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Refuses, from the headers alone, bodies the vault will not read, before a byte of them is
 * read and before identity (which needs the body's hash):
 * - any Content-Encoding but identity: decompressing would hand the verifier bytes other than
 *   the ones sent (a spec-following signer hashes what it sends) and would run a decompressor
 *   for anyone, signed or not;
 * - a declared Content-Length over the limit: answered at once instead of after the client
 *   has sent (or failed to send) the whole body.
 * The connection is closed after such an answer, because the body is still on it, unread.
 */
export function refuseUnreadableBodies(req: Request, res: Response, next: NextFunction): void {
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    res.setHeader('Connection', 'close');
    next(new UnsupportedMediaTypeError('request bodies must not be compressed (Content-Encoding: identity only)'));
    return;
  }
  // Node's parser has already refused a Content-Length that is not a plain number.
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) {
    res.setHeader('Connection', 'close');
    next(new TooLargeError(`request body is larger than ${MAX_BODY_BYTES / 1024} KiB`));
    return;
  }
  next();
}
