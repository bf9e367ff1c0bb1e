import { normalisePrincipal } from '../../core/principal';
import type { Authenticator } from '../http/app';
import { type SigV4VerifierOptions, verifySigV4 } from './sigv4-verifier';

/** Verifies SigV4 over the exact bytes received: the raw path, raw query and raw body. */
export function sigv4Authenticator(options: SigV4VerifierOptions): Authenticator {
  return ({ req, body }) => {
    const url = req.originalUrl;
    const q = url.indexOf('?');
    const { principal } = verifySigV4(
      {
        method: req.method,
        path: q === -1 ? url : url.slice(0, q),
        query: q === -1 ? '' : url.slice(q + 1),
        headers: req.headers,
        body,
      },
      options,
    );
    return normalisePrincipal(principal);
  };
}
