/**
 * What each exchange module provides to the HTTP checker: how to sign the one request the vault
 * ever makes to that exchange (its self-permission endpoint), and how to read the answer.
 */
import type { Exchange, ExchangeCredential, PermissionFacts } from '../../core/exchange-keys';

/** The request as signed: the checker appends `pathAndQuery` to the configured base URL unchanged. */
export interface SignedRequest {
  method: 'GET';
  /** Path and query string exactly as signed (an exchange verifies the string it receives). */
  pathAndQuery: string;
  headers: Record<string, string>;
}

export interface SignContext {
  /** Milliseconds since the epoch, from the checker's clock. */
  nowMs: number;
  /** How long the exchange may take to receive the request, where it takes a window (ms). */
  recvWindowMs: number;
}

/** An exchange's answer as the checker read it. `body` is the parsed JSON, or undefined when it was not JSON. */
export interface ExchangeAnswer {
  status: number;
  headers: { get(name: string): string | null };
  body: unknown;
  nowMs: number;
  /** The submitted API key, for exchanges that list several keys (Gate) and must pick the caller's. */
  apiKey: string;
}

export interface ExchangeApi {
  exchange: Exchange;
  /** The exchange's public API host, used when the deployment configures none. */
  defaultBaseUrl: string;
  sign(credential: ExchangeCredential, context: SignContext): SignedRequest;
  /**
   * Maps the answer to facts, or throws ExchangeKeyInvalidError, ExchangeIpNotWhitelistedError
   * or DependencyError. Decides by the body's code, not the HTTP status: exchanges disagree on
   * statuses (Bybit answers 401 for auth errors, BingX 200 with a non-zero code).
   */
  interpret(answer: ExchangeAnswer): PermissionFacts;
}
