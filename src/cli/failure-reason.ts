import { DependencyError, VaultError } from '../core/errors';

/** A safe, stable reason for a failure: the error code (and which dependency), never its message. */
export function failureReason(error: unknown): string {
  if (error instanceof DependencyError) {
    // The underlying SDK error's name (e.g. AccessDeniedException) says what to fix.
    const cause = safeName(error.cause);
    return `${error.code} (${error.dependency}${cause ? ` ${cause}` : ''})`;
  }
  if (error instanceof VaultError) return error.code;
  return safeName(error) ?? 'Error';
}

function safeName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(name) ? name : undefined;
}
