import { ExchangeIpNotWhitelistedError, ExchangeKeyInvalidError, ExchangeKeyRejectedError, VaultError } from './errors';
import type { Exchange, PermissionCheck } from './exchange-keys';
import type { ExchangeCheckNote } from './ports';

/** What a request did, filled in as its use case goes, for its record on the access trail. */
export interface Trace {
  versions: number[];
  exchangeCheck?: ExchangeCheckNote;
  /** Set once the record of the outcome was written (or its write attempted). */
  recorded: boolean;
}

export const trace = (versions: number[] = []): Trace => ({ versions, recorded: false });

/** What the trail says a failed request ended with: the error's code, never its message. */
export function resultCode(error: unknown): string {
  return error instanceof VaultError ? error.code : 'internal';
}

/** The flags of a check, never its answer (no IP list, no dates, no raw body). */
export function checkNote(exchange: Exchange, check: PermissionCheck | null, flagged: string[]): ExchangeCheckNote {
  if (!check) return { exchange, checked: false, flagged: [...flagged] };
  return {
    exchange,
    checked: true,
    canTrade: check.canTrade,
    canTradeDerivatives: check.canTradeDerivatives,
    canWithdraw: check.canWithdraw,
    canTransfer: check.canTransfer,
    ipRestricted: check.ipRestricted,
    flagged: [...flagged],
  };
}

/** A key the exchange check refused: the rules it broke, or the exchange's refusal code. */
export function refusalNote(exchange: Exchange, error: unknown): ExchangeCheckNote | undefined {
  if (error instanceof ExchangeKeyRejectedError) return { exchange, checked: true, flagged: [...error.reasons] };
  if (error instanceof ExchangeKeyInvalidError || error instanceof ExchangeIpNotWhitelistedError)
    return { exchange, checked: true, flagged: [error.code] };
  return undefined;
}
