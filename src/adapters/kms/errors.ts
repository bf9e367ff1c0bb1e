import { DependencyError, IntegrityError } from '../../core/errors';

/** Wrong ciphertext or context, or a key other than the one that wrapped it: stored data is bad. */
const INTEGRITY = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);
/** Outages that clear by themselves: answered 503 with Retry-After. */
const TRANSIENT = new Set([
  'ThrottlingException',
  'LimitExceededException',
  'KMSInternalException',
  'DependencyTimeoutException',
  'TimeoutError',
  'RequestTimeout',
  'AbortError',
]);
/** Configuration problems an operator must fix; the log line names which. */
const CONFIG: Record<string, string> = {
  DisabledException: 'kms key is disabled',
  AccessDeniedException: 'kms access denied to the vault role',
  NotFoundException: 'kms key not found',
  KMSInvalidStateException: 'kms key is in an invalid state (pending deletion or import)',
  KeyUnavailableException: 'kms key is unavailable',
  InvalidKeyUsageException: 'kms key usage does not allow this operation',
};

export function mapKmsError(error: unknown): Error {
  const name = (error as { name?: string })?.name ?? 'Error';
  const code = (error as { code?: string })?.code;
  if (INTEGRITY.has(name))
    return new IntegrityError('kms refused the wrapped data key for this context', { cause: error });
  if (CONFIG[name]) return new DependencyError('kms', CONFIG[name]!, { cause: error, retryAfterSeconds: 30 });
  if (TRANSIENT.has(name))
    return new DependencyError('kms', `kms unavailable (${name})`, {
      cause: error,
      retryAfterSeconds: name === 'ThrottlingException' ? 2 : 1,
    });
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  if ((status !== undefined && status >= 500) || (code && /^E[A-Z]+/.test(code))) {
    return new DependencyError('kms', `kms unavailable (${name}${code ? ` ${code}` : ''})`, { cause: error });
  }
  return new DependencyError('kms', `kms failed (${name})`, { cause: error });
}
