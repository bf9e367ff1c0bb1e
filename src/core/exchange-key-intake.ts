import { ExchangeIpNotWhitelistedError, ExchangeKeyInvalidError, ExchangeKeyRejectedError, VaultError } from './errors';
import {
  apiKeyHint,
  type CheckPolicy,
  type Exchange,
  type ExchangeChecker,
  type ExchangeCredential,
  evaluateCheck,
  type PermissionCheck,
  parseExchangeCredential,
} from './exchange-keys';
import type { ExchangeKeyFacts, MacProvider, SecretStore } from './ports';

export interface ExchangeKeySettings {
  /**
   * `required`: every exchange key is checked live at ingest and refused when the check fails;
   * `off`: stored with `check: null` (nothing proves it cannot withdraw).
   */
  check: 'required' | 'off';
  /** What a checked key must and must not be able to do. */
  policy: CheckPolicy;
}

export interface ExchangeKeyDeps {
  checker: ExchangeChecker;
  macs: MacProvider;
  settings: ExchangeKeySettings;
}

/** Purpose of the keyed MAC that indexes (exchange, apiKey). */
export const KEY_INDEX_PURPOSE = 'exchange-key-index';

/** The same exchange key is already stored under another path. */
export class DuplicateExchangeKeyError extends VaultError {
  /** @param visiblePath another path holding the key, only when the caller may describe it. */
  constructor(visiblePath: string | undefined) {
    super(
      'duplicate_exchange_key',
      visiblePath
        ? `this exchange key is already stored at ${visiblePath}`
        : 'this exchange key is already stored under another path',
    );
  }
}

/** A typed secret's kind (or exchange) cannot change on a later version. */
export class KindMismatchError extends VaultError {
  constructor(message: string) {
    super('kind_mismatch', message);
  }
}

/** What a re-check found: the new check (unchanged if the exchange refused the key) and why it is flagged. */
export interface RecheckOutcome {
  check: PermissionCheck | null;
  /** Empty when the key passes; otherwise refusal reasons or the exchange's refusal code. */
  flagged: string[];
}

/**
 * Exchange keys on their way in: the value must be that exchange's credential shape, the key
 * must not already be stored under another path (found by a keyed MAC, never by the key), and
 * the exchange itself must say the key cannot withdraw. Also re-checks a stored key.
 */
export class ExchangeKeyIntake {
  constructor(
    private readonly deps: ExchangeKeyDeps,
    private readonly store: SecretStore,
  ) {}

  /**
   * Everything a new version of an exchange key needs, or the refusal. Cheapest first: shape,
   * then the duplicate lookup, then the exchange call.
   */
  async admit(
    path: string,
    exchange: Exchange,
    value: unknown,
    mayDescribe: (path: string) => boolean,
  ): Promise<{ facts: ExchangeKeyFacts; keyIndex: string }> {
    const credential = parseExchangeCredential(exchange, value);
    const keyIndex = await this.keyIndex(exchange, credential.apiKey);
    const others = (await this.store.findByKeyIndex(keyIndex)).filter((other) => other !== path);
    if (others.length > 0) throw new DuplicateExchangeKeyError(others.find(mayDescribe));
    let check: PermissionCheck | null = null;
    if (this.deps.settings.check === 'required') {
      check = await this.deps.checker.check(exchange, credential);
      const reasons = evaluateCheck(check, this.deps.settings.policy);
      if (reasons.length > 0) throw new ExchangeKeyRejectedError(exchange, reasons);
    }
    return {
      facts: { kind: 'exchange-api-key', exchange, apiKeyHint: apiKeyHint(credential.apiKey), check },
      keyIndex,
    };
  }

  /**
   * Asks the exchange again about a stored key. A key the exchange now refuses (revoked, IP
   * changed) is flagged with the refusal's code rather than failing the call; an outage fails.
   */
  async recheck(
    exchange: Exchange,
    credential: ExchangeCredential,
    previous: PermissionCheck | null,
  ): Promise<RecheckOutcome> {
    try {
      const check = await this.deps.checker.check(exchange, credential);
      return { check, flagged: evaluateCheck(check, this.deps.settings.policy) };
    } catch (error) {
      if (error instanceof ExchangeKeyInvalidError || error instanceof ExchangeIpNotWhitelistedError) {
        return { check: previous, flagged: [error.code] };
      }
      throw error;
    }
  }

  private async keyIndex(exchange: Exchange, apiKey: string): Promise<string> {
    const mac = await this.deps.macs.mac(KEY_INDEX_PURPOSE, Buffer.from(`${exchange}\n${apiKey}`, 'utf8'));
    return mac.toString('base64url');
  }
}
