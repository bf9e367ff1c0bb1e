import type { Authenticator } from './authenticator';
import { type SigV4VerifierOptions, verifySigV4 } from './sigv4-verifier';

/** Verifies SigV4 over the exact bytes received: the raw path, raw query and raw body. */
export function sigv4Authenticator(options: SigV4VerifierOptions): Authenticator {
  return ({ method, url, headers, body }) => {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);
    return verifySigV4({ method, path, query, headers, body }, options).principal;
  };
}
