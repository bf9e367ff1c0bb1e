/**
 * Whether a checked exchange key may be stored: a pure function of the check and the
 * deployment's settings. The default refuses anything not proved safe.
 */
import { EXCHANGES, type Exchange, type PermissionCheck } from './exchange-keys';

/** What a deployment may require a key to be able to do (or, for `ip`, to be bound to addresses). */
export const REQUIREMENTS = ['trade', 'derivatives', 'ip'] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

/**
 * What a deployment may additionally refuse. Withdraw is not listed because it is always
 * refused; transfer is opt-in because OKX's `trade` permission always includes funding
 * transfer, so refusing transfer would refuse every OKX trading key.
 */
export const REFUSABLE = ['transfer'] as const;
export type Refusable = (typeof REFUSABLE)[number];

/** Flags whose answer may be unknown (`null`) without refusing the key, when a deployment says so. */
export const UNKNOWN_FLAGS = ['withdraw', 'trade', 'derivatives', 'transfer', 'ip'] as const;
export type UnknownFlag = (typeof UNKNOWN_FLAGS)[number];
/** A flag tolerated as unknown everywhere (`withdraw`), or on one exchange only (`gate:withdraw`). */
export type UnknownAllowance = UnknownFlag | `${Exchange}:${UnknownFlag}`;

/**
 * The deployment's rules for exchange keys.
 *
 * - `require`: capabilities a key must have. A key lacking one is refused `<name>_disabled`
 *   (`ip`: `ip_unrestricted`); a key whose answer does not say is refused `<name>_unknown`.
 *   A read-only key is also refused `read_only` when `trade` or `derivatives` is required.
 *   Default: `derivatives` (the platform copies derivatives trades).
 * - `refuse`: capabilities refused on top of withdraw (always refused): `transfer_enabled`,
 *   `transfer_unknown`. Default: none (transfer is reported, not refused).
 * - `allowUnknown`: flags whose unknown answer is tolerated, everywhere or per exchange
 *   (`gate:withdraw`). Default: none. Gate does not document how a withdraw-capable key shows
 *   in its key listing, so Gate keys need `gate:withdraw` here to be accepted at all; that is a
 *   deliberate operator decision, not a default.
 *
 * As environment settings (parsed by `parseCheckPolicy`): VAULT_EXCHANGE_REQUIRE
 * (comma list, or `none`; default `derivatives`), VAULT_EXCHANGE_REFUSE (default empty),
 * VAULT_EXCHANGE_ALLOW_UNKNOWN (default empty).
 */
export interface CheckPolicy {
  require: ReadonlySet<Requirement>;
  refuse: ReadonlySet<Refusable>;
  allowUnknown: ReadonlySet<UnknownAllowance>;
}

export const DEFAULT_CHECK_POLICY: CheckPolicy = {
  require: new Set<Requirement>(['derivatives']),
  refuse: new Set<Refusable>(),
  allowUnknown: new Set<UnknownAllowance>(),
};

export type RefusalReason =
  | 'withdraw_enabled'
  | 'withdraw_unknown'
  | 'read_only'
  | 'trade_disabled'
  | 'trade_unknown'
  | 'derivatives_disabled'
  | 'derivatives_unknown'
  | 'ip_unrestricted'
  | 'ip_unknown'
  | 'transfer_enabled'
  | 'transfer_unknown';

/**
 * Why the key must not be stored under `policy`; empty when it may be. Reasons come in a fixed
 * order (withdraw first) so callers and tests can compare lists.
 */
export function evaluateCheck(check: PermissionCheck, policy: CheckPolicy): RefusalReason[] {
  const reasons: RefusalReason[] = [];
  const tolerated = (flag: UnknownFlag) =>
    policy.allowUnknown.has(flag) || policy.allowUnknown.has(`${check.exchange}:${flag}`);
  const needed = (value: boolean | null, flag: UnknownFlag, disabled: RefusalReason, unknown: RefusalReason) => {
    if (value === false) reasons.push(disabled);
    else if (value === null && !tolerated(flag)) reasons.push(unknown);
  };

  // A key that can withdraw is the one thing a stolen copy turns into lost funds: refused
  // whatever the settings say.
  if (check.canWithdraw === true) reasons.push('withdraw_enabled');
  else if (check.canWithdraw === null && !tolerated('withdraw')) reasons.push('withdraw_unknown');

  const needsWrite = policy.require.has('trade') || policy.require.has('derivatives');
  if (needsWrite && check.readOnly === true) reasons.push('read_only');
  if (policy.require.has('trade')) needed(check.canTrade, 'trade', 'trade_disabled', 'trade_unknown');
  if (policy.require.has('derivatives')) {
    needed(check.canTradeDerivatives, 'derivatives', 'derivatives_disabled', 'derivatives_unknown');
  }
  if (policy.require.has('ip')) needed(check.ipRestricted, 'ip', 'ip_unrestricted', 'ip_unknown');

  if (policy.refuse.has('transfer')) {
    if (check.canTransfer === true) reasons.push('transfer_enabled');
    else if (check.canTransfer === null && !tolerated('transfer')) reasons.push('transfer_unknown');
  }
  return reasons;
}

/** Raw settings, as comma-separated strings (each optional: absent means the default). */
export interface CheckPolicySettings {
  require?: string | undefined;
  refuse?: string | undefined;
  allowUnknown?: string | undefined;
}

/** A setting that names something the policy does not know. The message names the setting and the entry. */
export class CheckPolicySettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckPolicySettingsError';
  }
}

function list(raw: string): string[] {
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function pick<T extends string>(setting: string, raw: string, allowed: readonly T[]): Set<T> {
  const out = new Set<T>();
  for (const entry of list(raw)) {
    if (!(allowed as readonly string[]).includes(entry)) {
      throw new CheckPolicySettingsError(`${setting}: unknown entry "${entry}"; expected any of ${allowed.join(', ')}`);
    }
    out.add(entry as T);
  }
  return out;
}

/**
 * Parses the three settings. `require` may be `none` to require nothing (a deployment that
 * stores read-only keys); an empty or absent value means the default. Unknown entries are an
 * error so a typo cannot quietly loosen the rules.
 */
export function parseCheckPolicy(settings: CheckPolicySettings): CheckPolicy {
  const rawRequire = settings.require?.trim();
  let require = DEFAULT_CHECK_POLICY.require;
  if (rawRequire === 'none') require = new Set();
  else if (rawRequire) require = pick('VAULT_EXCHANGE_REQUIRE', rawRequire, REQUIREMENTS);

  const refuse = settings.refuse ? pick('VAULT_EXCHANGE_REFUSE', settings.refuse, REFUSABLE) : new Set<Refusable>();

  const scoped = EXCHANGES.flatMap((exchange) => UNKNOWN_FLAGS.map((flag) => `${exchange}:${flag}` as const));
  const allowUnknown = settings.allowUnknown
    ? pick<UnknownAllowance>('VAULT_EXCHANGE_ALLOW_UNKNOWN', settings.allowUnknown, [...UNKNOWN_FLAGS, ...scoped])
    : new Set<UnknownAllowance>();
  return { require, refuse, allowUnknown };
}
