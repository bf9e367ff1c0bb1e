import { StoreInUseError } from '../adapters/dynamodb/store-lock';
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

/** One line for a CLI that could not start: config, lock and key-service errors carry no secret. */
export function startupFailure(error: Error): string {
  // Start-up errors (config, lock, key service) carry no secret; DependencyError's detail is its log line.
  if (error instanceof StoreInUseError || error.name === 'ConfigError') return error.message;
  if (error instanceof DependencyError) return `${failureReason(error)}: ${error.detail}`;
  return `${failureReason(error)}: ${error.message}`;
}
