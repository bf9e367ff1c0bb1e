import { DependencyError, ValidationError, VaultError } from '../../core/errors';
import {
  buildPermissionCheck,
  type Exchange,
  type ExchangeChecker,
  type ExchangeCredential,
  isExchange,
  PASSPHRASE_EXCHANGES,
  type PermissionCheck,
} from '../../core/exchange-keys';
import { parseExchangeBaseUrl } from './base-url';
import type { ExchangeAnswer, SignedRequest } from './exchange-api';
import { DEFAULT_EXCHANGE_BASE_URLS, EXCHANGE_APIS } from './exchange-apis';

export interface HttpExchangeCheckerOptions {
  /** Base URL per exchange (e.g. a stub's `http://127.0.0.1:PORT`); the rest default to the public hosts. */
  baseUrls?: Partial<Record<Exchange, string>>;
  /** Budget for one check, connect to last byte (default 5000 ms). */
  timeoutMs?: number;
  /** Receive window sent to exchanges that take one (Binance, Bybit; default 5000 ms). */
  recvWindowMs?: number;
  /** Clock for request timestamps, milliseconds since the epoch (default Date.now). */
  now?: () => number;
  /** fetch implementation (default the global one). */
  fetch?: typeof fetch;
  /** Largest answer read (default 1 MiB); a larger one is refused, not buffered. */
  maxBodyBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_RECV_WINDOW_MS = 5000;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const ERRNO = /^E[A-Z_]{2,30}$/;

/**
 * ExchangeChecker over HTTPS: signs one GET to the exchange's self-permission endpoint and maps
 * the answer. The URL is the configured base URL plus a constant path per exchange; nothing in
 * a request to the vault can change the host, path or query the vault calls.
 *
 * Errors it creates carry no `cause` from the network layer: fetch and parse errors can quote
 * the URL, and for Binance and BingX the URL holds the signature.
 */
export class HttpExchangeChecker implements ExchangeChecker {
  private readonly baseUrls: Record<Exchange, string>;
  private readonly timeoutMs: number;
  private readonly recvWindowMs: number;
  private readonly now: () => number;
  private readonly fetch: typeof fetch;
  private readonly maxBodyBytes: number;

  constructor(options: HttpExchangeCheckerOptions = {}) {
    const urls = { ...DEFAULT_EXCHANGE_BASE_URLS, ...options.baseUrls };
    this.baseUrls = Object.fromEntries(
      Object.entries(urls).map(([exchange, url]) => [exchange, parseExchangeBaseUrl(exchange, url)]),
    ) as Record<Exchange, string>;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.recvWindowMs = options.recvWindowMs ?? DEFAULT_RECV_WINDOW_MS;
    this.now = options.now ?? Date.now;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  async check(exchange: Exchange, credential: ExchangeCredential): Promise<PermissionCheck> {
    if (!isExchange(exchange)) throw new ValidationError('unsupported exchange');
    if (PASSPHRASE_EXCHANGES.has(exchange) && !credential.passphrase) {
      throw new ValidationError(`a ${exchange} credential needs a passphrase`);
    }
    const api = EXCHANGE_APIS[exchange];
    const startedAt = this.now();
    const request = api.sign(credential, { nowMs: startedAt, recvWindowMs: this.recvWindowMs });
    const received = await this.within(exchange, (signal) => this.send(exchange, request, signal));
    const answer: ExchangeAnswer = { ...received, nowMs: this.now(), apiKey: credential.apiKey };
    try {
      return buildPermissionCheck(exchange, new Date(startedAt), api.interpret(answer));
    } catch (error) {
      if (error instanceof VaultError) throw error;
      // A mapper bug on a strange answer must not surface as a crash or leak the body.
      throw new DependencyError('exchange', `${exchange} answer could not be read (HTTP ${answer.status})`, {
        retryAfterSeconds: 5,
      });
    }
  }

  /**
   * Runs `work` under one deadline for the whole exchange: the signal aborts the socket (so a
   * peer that accepts and never answers is cut off), and the race makes the deadline hold even
   * for a fetch that ignores its signal.
   */
  private async within<T>(exchange: Exchange, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(
          new DependencyError('exchange', `${exchange} did not answer within ${this.timeoutMs} ms`, {
            retryAfterSeconds: 2,
          }),
        );
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([work(controller.signal), deadline]);
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  }

  private async send(
    exchange: Exchange,
    request: SignedRequest,
    signal: AbortSignal,
  ): Promise<Pick<ExchangeAnswer, 'status' | 'headers' | 'body'>> {
    let response: Response;
    try {
      response = await this.fetch(`${this.baseUrls[exchange]}${request.pathAndQuery}`, {
        method: request.method,
        headers: request.headers,
        signal,
        // Following a redirect would send the key and signature to wherever it points.
        redirect: 'manual',
      });
    } catch (error) {
      throw this.unreachable(exchange, error);
    }
    const text = await this.readCapped(exchange, response);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, headers: response.headers, body };
  }

  private async readCapped(exchange: Exchange, response: Response): Promise<string> {
    if (!response.body) return '';
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > this.maxBodyBytes) {
          await reader.cancel().catch(() => undefined);
          throw new DependencyError('exchange', `${exchange} answer is larger than ${this.maxBodyBytes} bytes`, {
            retryAfterSeconds: 5,
          });
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof DependencyError) throw error;
      throw this.unreachable(exchange, error);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /** The failure's errno (ECONNREFUSED, ENOTFOUND...) is kept; the error object is not. */
  private unreachable(exchange: Exchange, error: unknown): DependencyError {
    const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
    const code = typeof cause?.code === 'string' && ERRNO.test(cause.code) ? ` (${cause.code})` : '';
    return new DependencyError('exchange', `${exchange} unreachable${code}`, { retryAfterSeconds: 2 });
  }
}
