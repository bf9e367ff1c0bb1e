import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type {
  ExchangeView,
  ListView,
  MetadataView,
  MutationView,
  PermissionCheckView,
  RecheckView,
  RewrapView,
  SecretValueView,
  SecretView,
  VersionSummaryView,
} from '../adapters/http/view-types';
import { pathProblem } from '../core/paths';
import { ReadCache, type ReadCacheOptions } from './read-cache';
import {
  nextDelay,
  RETRYABLE_STATUSES,
  type RetryClock,
  type RetryOptions,
  retryAfterMs,
  systemRetryClock,
} from './retry';

export type {
  ExchangeView,
  ListView,
  MetadataView,
  MutationView,
  PermissionCheckView,
  ReadCacheOptions,
  RecheckView,
  RetryClock,
  RetryOptions,
  RewrapView,
  SecretValueView,
  SecretView,
  VersionSummaryView,
};

/**
 * The parts of one exchange API key, as the exchange issued them: `passphrase` exactly on OKX,
 * Bitget and KuCoin. The vault checks the shape and refuses anything else (400).
 */
export interface ExchangeCredential {
  apiKey: string;
  secretKey: string;
  passphrase?: string;
}

/** The options of a write (`putSecret`, `putExchangeKey`). */
export interface PutOptions {
  /** Plaintext metadata, never a secret. */
  labels?: Record<string, string>;
  /** The version the caller expects to be current (0: must not exist yet). */
  cas?: number;
  rotationDays?: number;
}

/** The filters of `listSecrets`, and its paging. */
export interface ListOptions {
  /** Only paths that start with this. */
  prefix?: string;
  /** Items per page, 1..100. */
  limit?: number;
  /** The cursor the previous page ended with. */
  cursor?: string;
  /** Only secrets older than their rotation period. */
  rotationDue?: boolean;
  /** Only exchange keys whose latest re-check flagged them (`recheckExchangeKey`). */
  flagged?: boolean;
}

export interface VaultCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface VaultClientOptions {
  /** Base URL, e.g. 'https://vault.internal' or an API Gateway stage URL; any base path is kept. */
  endpoint: string;
  region: string;
  /** Signing service name; default 'execute-api'. */
  service?: string;
  /** Default: the AWS SDK's Node.js provider chain (env, SSO, ini, process, web identity, ECS/EC2). */
  credentials?: VaultCredentials | (() => Promise<VaultCredentials>);
  fetch?: typeof fetch;
  /**
   * Retries of answers that say "later" (503, 429, honouring Retry-After) and of network
   * failures, bounded in attempts and time. Only reads, re-checks and writes with `cas` are
   * retried: a write without `cas` that reached the vault would be written twice.
   */
  retry?: RetryOptions;
  /**
   * Keeps reads in memory (off by default): `getSecret` answers from the cache for `ttlSeconds`,
   * by path and version, and this client's own changes to a path drop that path at once. Other
   * writers' changes show only after the time is up. The values are secrets held in this
   * process's memory for that long.
   */
  cache?: ReadCacheOptions;
  /** Time for retries and the cache; tests pass a fake one. */
  clock?: RetryClock;
}

export interface VaultResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the vault answered JSON, the raw text otherwise, undefined when empty. */
  body: unknown;
}

/** The vault's error body: `{"error": {code, message, requestId, details?}}`. */
interface ErrorBody {
  error?: { code?: unknown; message?: unknown; requestId?: unknown; details?: unknown };
}

/** A non-2xx answer from the vault, carrying its `{"error":{code,message,requestId,details?}}` body. */
export class VaultClientError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId?: string;
  /**
   * What the vault added, when it did: one line per invalid field (400), or what the exchange
   * said of a refused key (422: its reasons, e.g. `withdraw_enabled`, or its error code). Never
   * a value.
   */
  readonly details?: readonly string[];

  constructor(status: number, code: string, message: string, requestId?: string, details?: readonly string[]) {
    super(message);
    this.name = 'VaultClientError';
    this.status = status;
    this.code = code;
    if (requestId !== undefined) this.requestId = requestId;
    if (details !== undefined) this.details = details;
  }
}

type QueryValue = string | number | boolean | undefined;

/** RFC 3986 encoding, the same one SigV4 canonicalises with, so wire and signed forms agree. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A path the vault would refuse, caught before anything is signed or sent. */
export class InvalidPathError extends TypeError {
  override readonly name = 'InvalidPathError';
}

function secretPath(path: string): string {
  // The server's own rule (which also excludes empty and dot segments, which URL parsing or
  // the signer's normalisation would rewrite): refuse before signing anything.
  const problem = pathProblem(path);
  if (problem) throw new InvalidPathError(`invalid secret path ${JSON.stringify(path)}: ${problem}`);
  return path;
}

function queryString(params: Record<string, QueryValue>): string {
  const parts = Object.entries(params)
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
    .map(([k, v]) => `${uriEncode(k)}=${uriEncode(String(v))}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Whether a call may be sent again: reads always, changes only when `cas` makes a repeat harmless. */
type Retryable = 'retryable' | 'once';

/** SigV4-signing client for the vault's HTTP API. */
export class VaultClient {
  private readonly base: URL;
  private readonly signer: SignatureV4;
  private readonly fetchImpl: typeof fetch;
  private readonly retry: Required<RetryOptions>;
  private readonly clock: RetryClock;
  private readonly cache: ReadCache<SecretView> | undefined;

  constructor(options: VaultClientOptions) {
    this.base = new URL(options.endpoint);
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.clock = options.clock ?? systemRetryClock;
    this.retry = { maxAttempts: 3, maxElapsedMs: 10_000, baseDelayMs: 100, ...options.retry };
    this.cache = options.cache && new ReadCache<SecretView>(options.cache, () => this.clock.now());
    this.signer = new SignatureV4({
      service: options.service ?? 'execute-api',
      region: options.region,
      credentials: options.credentials ?? nodeProviderChain(),
      sha256: Hash.bind(null, 'sha256'),
    });
  }

  /** Writes a new version. `cas` is the version the caller expects to be current (0: must not exist). */
  async putSecret(path: string, value: SecretValueView, opts: PutOptions = {}): Promise<MutationView> {
    return this.put(path, { value }, opts);
  }

  /**
   * Writes a new version of an exchange API key (kind `exchange-api-key`). The vault asks the
   * exchange what the key may do before it stores anything: a key that may withdraw (or breaks
   * the deployment's other rules) is refused with 422 `exchange_key_rejected`, its reasons in
   * `details`; one the exchange refuses is 422 `exchange_key_invalid` or
   * `exchange_ip_not_whitelisted`; the same key stored under another path is 409
   * `duplicate_exchange_key`; a path that holds another kind (or exchange) is 409 `kind_mismatch`.
   * The answer shows `exchange`, `apiKeyHint` and `check`, never the credential.
   */
  async putExchangeKey(
    path: string,
    exchange: ExchangeView,
    credential: ExchangeCredential,
    opts: PutOptions = {},
  ): Promise<MutationView> {
    return this.put(path, { kind: 'exchange-api-key', exchange, value: credential }, opts);
  }

  private async put(path: string, body: Record<string, unknown>, opts: PutOptions): Promise<MutationView> {
    const sent = { ...body, labels: opts.labels, cas: opts.cas, rotationDays: opts.rotationDays };
    return this.change(path, opts.cas, (retry) =>
      this.call<MutationView>('PUT', `/v1/secrets/${secretPath(path)}`, sent, retry),
    );
  }

  /** Reads the current version, or `opts.version` (from the cache when one is configured). */
  async getSecret(path: string, opts: { version?: number } = {}): Promise<SecretView> {
    const load = () =>
      this.call<SecretView>('GET', `/v1/secrets/${secretPath(path)}${queryString({ version: opts.version })}`);
    return this.cache ? this.cache.read(secretPath(path), opts.version, load) : load();
  }

  /** Reads metadata (versions, labels, rotation) without the value. */
  async describeSecret(path: string): Promise<MetadataView> {
    return this.call<MetadataView>('GET', `/v1/metadata/${secretPath(path)}`);
  }

  /** Lists secret metadata, a page at a time; pass the returned cursor to continue. */
  async listSecrets(opts: ListOptions = {}): Promise<ListView> {
    const query = queryString({
      prefix: opts.prefix,
      rotationDue: opts.rotationDue ? 'true' : undefined,
      flagged: opts.flagged ? 'true' : undefined,
      limit: opts.limit,
      cursor: opts.cursor,
    });
    return this.call<ListView>('GET', `/v1/metadata${query}`);
  }

  /** Soft-deletes `opts.versions`, or the current version if none are given. */
  async deleteSecret(path: string, opts: { versions?: number[]; cas?: number } = {}): Promise<MutationView> {
    const query = queryString({ versions: opts.versions?.join(','), cas: opts.cas });
    return this.change(path, opts.cas, (retry) =>
      this.call<MutationView>('DELETE', `/v1/secrets/${secretPath(path)}${query}`, undefined, retry),
    );
  }

  /** Restores soft-deleted versions. */
  async undeleteSecret(path: string, versions: number[], opts: { cas?: number } = {}): Promise<MutationView> {
    return this.change(path, opts.cas, (retry) =>
      this.call<MutationView>('POST', `/v1/undelete/${secretPath(path)}`, { versions, cas: opts.cas }, retry),
    );
  }

  /** Irreversibly destroys the ciphertext of the given versions. */
  async destroySecret(path: string, versions: number[], opts: { cas?: number } = {}): Promise<MutationView> {
    return this.change(path, opts.cas, (retry) =>
      this.call<MutationView>('POST', `/v1/destroy/${secretPath(path)}`, { versions, cas: opts.cas }, retry),
    );
  }

  /** Removes the secret and all its versions. */
  async deleteMetadata(path: string, opts: { cas?: number } = {}): Promise<void> {
    return this.change(path, opts.cas, (retry) =>
      this.call<void>('DELETE', `/v1/metadata/${secretPath(path)}${queryString({ cas: opts.cas })}`, undefined, retry),
    );
  }

  /** Re-wraps every version's data key under the current KMS key (values do not change). */
  async rewrap(path: string): Promise<RewrapView> {
    return this.call<RewrapView>('POST', `/v1/rewrap/${secretPath(path)}`, {}, 'once');
  }

  /**
   * Asks the exchange again what the current version's key may do, and records the answer on
   * the secret without a new version (needs the policy action `check`). `flagged` is empty when
   * the key passed; otherwise it says why (`withdraw_enabled`, or the exchange's refusal such as
   * `exchange_key_invalid`), and `listSecrets({ flagged: true })` lists it until a re-check
   * passes. Retried like a read: asking twice records the same kind of answer. The value does
   * not change, so cached reads stay.
   */
  async recheckExchangeKey(path: string): Promise<RecheckView> {
    return this.call<RecheckView>('POST', `/v1/exchange-check/${secretPath(path)}`, {});
  }

  /**
   * A change to `path`: retried only with `cas`, and the path's cached reads dropped whatever
   * the outcome (a conflict means someone else changed it; a failure may have landed).
   */
  private async change<T>(path: string, cas: number | undefined, send: (retry: Retryable) => Promise<T>): Promise<T> {
    try {
      return await send(cas === undefined ? 'once' : 'retryable');
    } finally {
      this.cache?.invalidate(path);
    }
  }

  /**
   * Sends one signed request and returns the response whatever its status (it does not throw on
   * non-2xx). `pathAndQuery` is appended to the endpoint's base path; query values must already be
   * percent-encoded. A `body` other than undefined is sent as JSON.
   */
  async request(method: string, pathAndQuery: string, body?: unknown): Promise<VaultResponse> {
    const qIndex = pathAndQuery.indexOf('?');
    const rawPath = qIndex === -1 ? pathAndQuery : pathAndQuery.slice(0, qIndex);
    const rawQuery = qIndex === -1 ? '' : pathAndQuery.slice(qIndex + 1);

    const url = new URL(this.base.href);
    url.pathname = `${this.base.pathname.replace(/\/+$/, '')}${rawPath}`;
    // Re-encode from the decoded pairs so the bytes sent are exactly what the signer canonicalises.
    const query: Record<string, string | string[]> = {};
    const wire: string[] = [];
    for (const [key, value] of new URLSearchParams(rawQuery)) {
      const existing = query[key];
      query[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
      wire.push(`${uriEncode(key)}=${uriEncode(value)}`);
    }
    url.search = wire.length > 0 ? `?${wire.join('&')}` : '';

    const headers: Record<string, string> = { host: url.host };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }

    const signed = await this.signer.sign(
      new HttpRequest({
        method: method.toUpperCase(),
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query,
        headers,
        ...(payload !== undefined ? { body: payload } : {}),
      }),
    );

    // fetch derives Host from the URL itself (the same value that was signed).
    const { host: _host, ...sendHeaders } = signed.headers;
    const response = await this.fetchImpl(url, {
      method: method.toUpperCase(),
      headers: sendHeaders,
      ...(payload !== undefined ? { body: payload } : {}),
    });
    const text = await response.text();
    let parsed: unknown = text === '' ? undefined : text;
    if (text !== '' && /\bjson\b/i.test(response.headers.get('content-type') ?? '')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        // Leave the raw text: a malformed body is still worth surfacing to the caller.
      }
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }

  /**
   * A 2xx body as the route's documented view. The shape is the server's contract (the views in
   * adapters/http/views.ts, also described by docs/openapi.json); it is not re-validated here.
   * 503 and 429 (and network failures) are retried when `retry` allows it, within the bounds.
   */
  private async call<T>(
    method: string,
    pathAndQuery: string,
    body?: unknown,
    retry: Retryable = 'retryable',
  ): Promise<T> {
    const startedAt = this.clock.now();
    for (let attempt = 1; ; attempt++) {
      let res: VaultResponse;
      try {
        res = await this.request(method, pathAndQuery, body);
      } catch (error) {
        // The request may or may not have arrived: only a repeatable one goes again.
        const delay =
          retry === 'retryable' ? nextDelay(this.retry, attempt, startedAt, this.clock.now(), undefined) : undefined;
        if (delay === undefined) throw error;
        await this.clock.sleep(delay);
        continue;
      }
      if (res.status >= 200 && res.status < 300) return res.body as T;
      if (retry === 'retryable' && RETRYABLE_STATUSES.has(res.status)) {
        const now = this.clock.now();
        const delay = nextDelay(this.retry, attempt, startedAt, now, retryAfterMs(res.headers.get('retry-after'), now));
        if (delay !== undefined) {
          await this.clock.sleep(delay);
          continue;
        }
      }
      throw errorOf(res);
    }
  }
}

function errorOf(res: VaultResponse): VaultClientError {
  const error = typeof res.body === 'object' && res.body !== null ? (res.body as ErrorBody).error : undefined;
  const code = typeof error?.code === 'string' ? error.code : `http_${res.status}`;
  const message = typeof error?.message === 'string' ? error.message : `vault answered HTTP ${res.status}`;
  const requestId =
    typeof error?.requestId === 'string' ? error.requestId : (res.headers.get('x-request-id') ?? undefined);
  const details =
    Array.isArray(error?.details) && error.details.every((d) => typeof d === 'string')
      ? (error.details as string[])
      : undefined;
  return new VaultClientError(res.status, code, message, requestId, details);
}

/** Loaded on first use so clients given static credentials never pull in the whole chain. */
function nodeProviderChain(): () => Promise<VaultCredentials> {
  let chain: (() => Promise<VaultCredentials>) | undefined;
  return async () => {
    if (!chain) {
      const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
      chain = defaultProvider();
    }
    return chain();
  };
}
