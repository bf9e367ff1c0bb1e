/**
 * When an exchange key stops working, from what the exchange reports and from its documented
 * lifetime rules, so rotation can fall due before the key dies rather than after.
 */
import type { Exchange, ExpiryKind, PermissionCheck, PermissionFacts } from './exchange-keys';

const DAY_MS = 86_400_000;

/**
 * Documented lifetimes of keys with no IP binding, counted from the key's creation: Gate's
 * help FAQ (90 days) and Bybit's API docs (90 days; Bybit usually reports `expiredAt` itself,
 * this covers an answer without it).
 */
export const NO_IP_LIFETIME_DAYS: Readonly<Partial<Record<Exchange, number>>> = { gate: 90, bybit: 90 };

/** Warning for OKX and BingX keys without an IP binding that can trade: they die after 14 days unused. */
export const INACTIVITY_WARNING = 'inactivity_expiry_14d';

export interface KeyExpiry {
  expiresAt: string | null;
  expiryKind?: ExpiryKind;
  warnings: string[];
}

type ExpiryInput = Pick<
  PermissionFacts,
  'ipRestricted' | 'canTrade' | 'canTransfer' | 'canWithdraw' | 'reportedExpiresAt' | 'keyCreatedAt'
>;

function time(iso: string | null | undefined): number | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The effective expiry: the earlier of what the exchange reports and what its no-IP lifetime
 * rule implies (a reported date wins a tie: it is the more specific fact). Inactivity rules
 * cannot give a date, since the vault cannot see the key being used, so they only warn.
 * An unknown IP binding (`null`) triggers no rule: the vault does not guess.
 */
export function keyExpiry(exchange: Exchange, facts: ExpiryInput): KeyExpiry {
  const candidates: { at: number; kind: ExpiryKind }[] = [];
  const reported = time(facts.reportedExpiresAt);
  if (reported !== undefined) candidates.push({ at: reported, kind: 'reported' });
  const lifetime = NO_IP_LIFETIME_DAYS[exchange];
  const created = time(facts.keyCreatedAt);
  if (lifetime !== undefined && facts.ipRestricted === false && created !== undefined) {
    candidates.push({ at: created + lifetime * DAY_MS, kind: 'no-ip-binding' });
  }
  const warnings: string[] = [];
  // OKX: keys with trade or withdraw and no IP expire after 14 days of inactivity. BingX: keys
  // with trading or transfer permissions and no IP are deleted after 14 days of inactivity.
  const inactivityApplies =
    (exchange === 'okx' && (facts.canTrade === true || facts.canWithdraw === true)) ||
    (exchange === 'bingx' && (facts.canTrade === true || facts.canTransfer === true));
  if (inactivityApplies && facts.ipRestricted === false) warnings.push(INACTIVITY_WARNING);

  const earliest = candidates.reduce<{ at: number; kind: ExpiryKind } | undefined>(
    (best, c) => (best === undefined || c.at < best.at ? c : best),
    undefined,
  );
  if (!earliest) return { expiresAt: null, warnings };
  return { expiresAt: new Date(earliest.at).toISOString(), expiryKind: earliest.kind, warnings };
}

/** Assembles the stored shape from an adapter's facts, applying the expiry rules. */
export function buildPermissionCheck(exchange: Exchange, checkedAt: Date, facts: PermissionFacts): PermissionCheck {
  const expiry = keyExpiry(exchange, facts);
  const check: PermissionCheck = {
    exchange,
    checkedAt: checkedAt.toISOString(),
    canTrade: facts.canTrade,
    canTradeDerivatives: facts.canTradeDerivatives,
    canWithdraw: facts.canWithdraw,
    canTransfer: facts.canTransfer,
    readOnly: facts.readOnly,
    ipRestricted: facts.ipRestricted,
    expiresAt: expiry.expiresAt,
    warnings: [...new Set([...facts.warnings, ...expiry.warnings])],
  };
  if (facts.ipWhitelist !== undefined) check.ipWhitelist = [...facts.ipWhitelist];
  if (expiry.expiryKind !== undefined) check.expiryKind = expiry.expiryKind;
  if (facts.keyCreatedAt !== undefined) check.keyCreatedAt = facts.keyCreatedAt;
  return check;
}

/**
 * A secret's rotation due date once its exchange key's expiry is known: the earlier of the
 * two, so the rotation-due listing finds keys about to die, not only old ones.
 */
export function rotationDueWithExpiry(rotationDueAt: string, check: PermissionCheck | null | undefined): string {
  const expires = time(check?.expiresAt);
  const due = time(rotationDueAt);
  if (expires === undefined || due === undefined || expires >= due) return rotationDueAt;
  return new Date(expires).toISOString();
}
