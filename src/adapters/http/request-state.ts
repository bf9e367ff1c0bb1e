import type { Response } from 'express';
import { AuthenticationError } from '../../core/errors';
import type { Caller } from '../../core/vault';

/**
 * What the middleware chain learns about a request, typed on express's `res.locals` so no
 * stage reads it through a cast. Filled in order: request id first, then the caller (after
 * identity), then the route template and the outcome.
 */
declare global {
  namespace Express {
    interface Locals {
      requestId: string;
      /** Set once identity succeeded, with the principal already normalised. */
      caller?: Caller;
      /** The parsed JSON body of a PUT or POST, set after identity. */
      body?: unknown;
      /** The route template, for logs (never the path itself). */
      route?: string;
      errorCode?: string;
      /** Log-only detail of a failure (which check, which dependency); never sent to callers. */
      errorDetail?: string;
    }
  }
}

/** The authenticated caller; routes run after identity, so its absence is a wiring bug. */
export function callerOf(res: Response): Caller {
  const { caller } = res.locals;
  if (!caller) throw new AuthenticationError('route reached without an authenticated caller');
  return caller;
}
