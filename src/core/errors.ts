/**
 * The vault's error vocabulary. The core throws these; exactly one place (the HTTP error
 * middleware) turns them into status codes, and anything that is not a VaultError is
 * answered as an opaque 500.
 */
export class VaultError extends Error {
  /** Stable, machine-readable code, safe to show to callers. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Input the caller sent does not satisfy the contract. */
export class ValidationError extends VaultError {
  constructor(
    message: string,
    readonly issues: string[] = [],
    options?: { cause?: unknown },
  ) {
    super('validation_error', message, options);
  }
}

/** The caller could not be identified. Deliberately says nothing about why. */
export class AuthenticationError extends VaultError {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('unauthenticated', 'the request could not be authenticated', options);
  }
}

/** The caller is known but the policy does not allow this action on this path. */
export class AccessDeniedError extends VaultError {
  constructor(message = 'the policy does not allow this action on this path') {
    super('access_denied', message);
  }
}

/** The path, or the requested version of it, never existed (or is beyond what is retained). */
export class SecretNotFoundError extends VaultError {
  constructor(message = 'no secret at this path') {
    super('not_found', message);
  }
}

/** The version exists but is soft-deleted or destroyed. */
export class SecretGoneError extends VaultError {
  constructor(
    readonly state: 'deleted' | 'destroyed',
    version: number,
  ) {
    super(state === 'deleted' ? 'version_deleted' : 'version_destroyed', `version ${version} is ${state}`);
  }
}

/** Optimistic concurrency failed: `cas` did not match, or too many writers raced. */
export class VersionConflictError extends VaultError {
  constructor(message = 'the secret was changed by another request', options?: { cause?: unknown }) {
    super('conflict', message, options);
  }
}

/** A stored record failed authentication (tampered, moved, or wrapped by another key). */
export class IntegrityError extends VaultError {
  constructor(message = 'stored data failed its integrity check', options?: { cause?: unknown }) {
    super('integrity_error', message, options);
  }
}

/**
 * A dependency (KMS, DynamoDB) failed, throttled or timed out. `detail` is for the log line
 * only (for example "kms key disabled"); callers see a generic message.
 */
export class DependencyError extends VaultError {
  constructor(
    readonly dependency: 'kms' | 'dynamodb' | 'keys',
    readonly detail: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super('dependency_unavailable', `a dependency is unavailable, retry later`, options);
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 1;
  }
  readonly retryAfterSeconds: number;
}

/** A value or request is larger than the vault accepts. */
export class TooLargeError extends VaultError {
  constructor(message: string) {
    super('too_large', message);
  }
}

/**
 * A stored record names a key the vault does not use (not the current key, not a listed
 * previous one, not a local master key it holds). No key service call is made for it. `keyId`
 * is for the log line: a key id is not secret, and naming it is how an operator finds the
 * missing key (a lost master.key, a retired key left out of VAULT_KMS_PREVIOUS_KEY_IDS).
 */
export class UnknownKeyError extends IntegrityError {
  override readonly code = 'unknown_key';
  constructor(readonly keyId: string) {
    super('stored data names a key the vault does not use');
  }
}

/** Retention may not drop young versions, and the secret already holds the most it may. */
export class TooManyVersionsError extends VaultError {
  constructor(ceiling: number) {
    super(
      'too_many_versions',
      `the secret holds ${ceiling} versions, the most allowed, and none is old enough for retention to drop; destroy old versions or retry later`,
    );
  }
}
