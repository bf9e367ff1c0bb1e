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
 * A dependency (KMS, DynamoDB, an exchange's API) failed, throttled or timed out. `detail` is
 * for the log line only (for example "kms key disabled"); callers see a generic message.
 */
export class DependencyError extends VaultError {
  constructor(
    readonly dependency: 'kms' | 'dynamodb' | 'keys' | 'exchange',
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

/**
 * The exchange refused the submitted credential itself: unknown key, wrong signature (so a
 * wrong secret), wrong passphrase, an expired key, or a key not allowed to read its own
 * permissions. `exchangeCode` is the exchange's own error code (a short token, never its
 * message, which can quote request data), safe to return to the caller as a detail.
 */
export class ExchangeKeyInvalidError extends VaultError {
  constructor(
    readonly exchange: string,
    readonly exchangeCode: string,
    readonly reason: 'unknown_key' | 'signature' | 'passphrase' | 'expired' | 'permission' | 'format' | 'account',
  ) {
    super(
      'exchange_key_invalid',
      `${exchange} rejected the credential (${reason.replace('_', ' ')}, code ${exchangeCode})`,
    );
  }
}

/**
 * The exchange refused the call because it came from an address the key is not bound to. The
 * vault calls from its egress address, so the key must whitelist that address. `ambiguous` is
 * set when the exchange uses one code for this and for an invalid key (Binance -2015), so the
 * message cannot claim which of the two it was.
 */
export class ExchangeIpNotWhitelistedError extends VaultError {
  constructor(
    readonly exchange: string,
    readonly exchangeCode: string,
    readonly ambiguous = false,
  ) {
    super(
      'exchange_ip_not_whitelisted',
      ambiguous
        ? `${exchange} answered ${exchangeCode}, which it uses both for an invalid API key and for a call from an address outside the key's IP whitelist: check the key, and that it allows the vault's egress address`
        : `${exchange} refused the call from the vault's address: the key's IP whitelist must allow the vault's egress address`,
    );
  }
}

/** The credential works but its permissions break the deployment's rules (for example it can withdraw). */
export class ExchangeKeyRejectedError extends VaultError {
  constructor(
    readonly exchange: string,
    readonly reasons: readonly string[],
  ) {
    super('exchange_key_rejected', `the ${exchange} key is refused: ${reasons.join(', ')}`);
  }
}
