import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AuthenticationError } from '../../core/errors';
import type { Credential } from './credentials-file';

export interface SigV4VerifierOptions {
  lookup: (accessKeyId: string) => Credential | undefined;
  /** Credential scope region that must match. */
  region: string;
  /** Credential scope service; default 'execute-api'. */
  service?: string;
  /**
   * The vault's own name as callers send it in `Host` (with `:port` when not the default);
   * when set, a request signed for any other host is refused. Unset, any signed host passes.
   */
  host?: string;
  /** Largest allowed distance between X-Amz-Date and now, either direction; default 5 minutes. */
  maxSkewMs?: number;
  now?: () => Date;
}

export interface IncomingSignedRequest {
  method: string;
  /** Raw path as received (not decoded), without the query. */
  path: string;
  /** Raw query string without '?', '' if none. */
  query: string;
  /** Node `IncomingMessage.headers` (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  /** Raw body bytes; an empty buffer if none. */
  body: Buffer;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const ACCESS_KEY_ID = /^[A-Za-z0-9]{1,128}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;
/** SHA-256 of no bytes: the payload hash of every GET, computed once. */
const EMPTY_PAYLOAD_SHA256 = createHash('sha256').digest('hex');

interface ParsedAuthorization {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/**
 * Verifies an AWS SigV4 `Authorization` header over the request exactly as received.
 *
 * The payload hash is always computed from the body bytes, never taken from
 * `x-amz-content-sha256`, so a signature can only ever cover the body that was actually sent.
 * The path may be signed double-encoded (AWS SDKs) or as sent (curl), the query sorted and
 * encoded (SigV4 spec) or as sent (curl 7.x).
 *
 * @returns the caller's principal and access key id.
 * @throws AuthenticationError on any failure; `reason` names the failed check for logs only.
 */
export function verifySigV4(
  req: IncomingSignedRequest,
  opts: SigV4VerifierOptions,
): { principal: string; accessKeyId: string } {
  const service = opts.service ?? 'execute-api';
  const maxSkewMs = opts.maxSkewMs ?? 5 * 60 * 1000;
  const now = (opts.now ?? (() => new Date()))();

  const auth = parseAuthorization(singleHeader(req.headers, 'authorization'));

  const amzDate = singleHeader(req.headers, 'x-amz-date');
  if (amzDate === undefined) throw new AuthenticationError('x-amz-date header missing');
  const signedAt = parseAmzDate(amzDate);
  if (Math.abs(now.getTime() - signedAt.getTime()) > maxSkewMs) {
    throw new AuthenticationError('x-amz-date outside the allowed clock skew');
  }
  if (auth.scopeDate !== amzDate.slice(0, 8)) {
    throw new AuthenticationError('credential scope date does not match x-amz-date');
  }
  if (auth.region !== opts.region) throw new AuthenticationError('credential scope region mismatch');
  if (auth.service !== service) throw new AuthenticationError('credential scope service mismatch');
  // Without these two signed, a signature could be replayed to another host or at another time.
  if (!auth.signedHeaders.includes('host') || !auth.signedHeaders.includes('x-amz-date')) {
    throw new AuthenticationError('host and x-amz-date must both be signed');
  }
  // Host is signed, so this is the host the caller signed for: a request signed for another
  // service that shares these credentials cannot be replayed here.
  if (opts.host !== undefined && singleHeader(req.headers, 'host')?.trim().toLowerCase() !== opts.host.toLowerCase()) {
    throw new AuthenticationError('signed for another host');
  }

  const payloadHash =
    req.body.length === 0 ? EMPTY_PAYLOAD_SHA256 : createHash('sha256').update(req.body).digest('hex');
  const canonicalHeaders = auth.signedHeaders.map((name) => {
    const value = req.headers[name];
    if (value === undefined) throw new AuthenticationError(`signed header ${name} is absent`);
    const values = Array.isArray(value) ? value : [value];
    return `${name}:${values.map(trimAll).join(',')}\n`;
  });
  if (auth.signedHeaders.includes('x-amz-content-sha256')) {
    if (singleHeader(req.headers, 'x-amz-content-sha256') !== payloadHash) {
      throw new AuthenticationError('x-amz-content-sha256 does not match the body');
    }
  }

  const credential = opts.lookup(auth.accessKeyId);
  if (credential === undefined || credential.accessKeyId !== auth.accessKeyId) {
    throw new AuthenticationError('unknown access key');
  }

  const scope = `${auth.scopeDate}/${auth.region}/${auth.service}/aws4_request`;
  const signingKey = signingKeyFor(credential, scope);
  const presented = Buffer.from(auth.signature, 'hex');

  // Every candidate is a signature by the key holder over this same request: the SDK's
  // double-encoded path or the path as sent, the sorted canonical query or the query as sent
  // (curl before 8.x signs the query exactly as typed, unsorted).
  const paths = new Set([doubleEncodedPath(req.path), req.path]);
  const queries = new Set([canonicalQuery(req.query), req.query]);
  let matched = false;
  for (const path of paths) {
    for (const query of queries) {
      const canonicalRequest = [
        req.method,
        path,
        query,
        canonicalHeaders.join(''),
        auth.signedHeaders.join(';'),
        payloadHash,
      ].join('\n');
      const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
      const expected = createHmac('sha256', signingKey).update(stringToSign).digest();
      // Evaluate every candidate so timing does not reveal which form matched.
      if (timingSafeEqual(expected, presented)) matched = true;
    }
  }
  if (!matched) throw new AuthenticationError('signature mismatch');

  return { principal: credential.principal, accessKeyId: credential.accessKeyId };
}

function singleHeader(headers: IncomingSignedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) {
    if (value.length !== 1) throw new AuthenticationError(`header ${name} repeated`);
    return value[0];
  }
  return value;
}

function parseAuthorization(header: string | undefined): ParsedAuthorization {
  if (header === undefined) throw new AuthenticationError('authorization header missing');
  const prefix = `${ALGORITHM} `;
  if (!header.startsWith(prefix)) throw new AuthenticationError('authorization is not AWS4-HMAC-SHA256');

  const fields = new Map<string, string>();
  for (const part of header.slice(prefix.length).split(',')) {
    const match = /^\s*(Credential|SignedHeaders|Signature)=(\S+)\s*$/.exec(part);
    if (!match || fields.has(match[1]!)) throw new AuthenticationError('malformed authorization header');
    fields.set(match[1]!, match[2]!);
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw new AuthenticationError('malformed authorization header');
  }

  const scope = credential.split('/');
  const [accessKeyId, scopeDate, region, service, terminator] = scope;
  if (
    scope.length !== 5 ||
    !ACCESS_KEY_ID.test(accessKeyId!) ||
    !/^\d{8}$/.test(scopeDate!) ||
    !region ||
    !service ||
    terminator !== 'aws4_request'
  ) {
    throw new AuthenticationError('malformed credential scope');
  }

  const names = signedHeaders.split(';');
  if (names.some((n) => !HEADER_NAME.test(n)) || new Set(names).size !== names.length) {
    throw new AuthenticationError('malformed signed headers');
  }
  if (!SIGNATURE.test(signature)) throw new AuthenticationError('malformed signature');

  return {
    accessKeyId: accessKeyId!,
    scopeDate: scopeDate!,
    region: region,
    service: service,
    signedHeaders: [...names].sort(),
    signature,
  };
}

function parseAmzDate(value: string): Date {
  const m = AMZ_DATE.exec(value);
  if (!m) throw new AuthenticationError('malformed x-amz-date');
  const [y, mo, d, h, mi, s] = [+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC silently rolls over (month 13, hour 25, second 60) and maps years 0-99 to 19xx;
  // a real timestamp reads back field for field.
  if (
    date.getUTCFullYear() !== y ||
    date.getUTCMonth() !== mo - 1 ||
    date.getUTCDate() !== d ||
    date.getUTCHours() !== h ||
    date.getUTCMinutes() !== mi ||
    date.getUTCSeconds() !== s
  ) {
    throw new AuthenticationError('malformed x-amz-date');
  }
  return date;
}

function trimAll(value: string): string {
  return value.replace(/[ \t]+/g, ' ').replace(/^ | $/g, '');
}

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters is %XX. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(component: string): string {
  try {
    // '+' is decoded as a space because that is how the HTTP layer's query parser reads it;
    // otherwise one signature would cover two queries the application sees differently.
    return decodeURIComponent(component.replace(/\+/g, ' '));
  } catch (cause) {
    throw new AuthenticationError('malformed percent-encoding in query', { cause });
  }
}

function canonicalQuery(raw: string): string {
  if (raw === '') return '';
  const pairs = raw
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const key = eq === -1 ? part : part.slice(0, eq);
      const value = eq === -1 ? '' : part.slice(eq + 1);
      return [uriEncode(decode(key)), uriEncode(decode(value))] as const;
    });
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/**
 * Each segment of the wire path encoded once more, as SDK signers do for non-S3 services.
 * Unlike @smithy/signature-v4, empty and dot segments are not normalised away: that would let
 * one signature cover several raw paths the router may read differently.
 */
function doubleEncodedPath(path: string): string {
  return path.split('/').map(uriEncode).join('/');
}

function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * Signing keys depend only on the secret and the scope (day, region, service), so each is
 * derived once (four HMACs) and kept beside the credential it belongs to, for the scope it was
 * last used with: one entry per credential, gone with it when the credentials file is reloaded
 * (a changed secret is a new credential object), and no secret or hash of one as a map key.
 */
const signingKeys = new WeakMap<Credential, { scope: string; key: Buffer }>();

function signingKeyFor(credential: Credential, scope: string): Buffer {
  const cached = signingKeys.get(credential);
  if (cached?.scope === scope) return cached.key;
  // scope is date/region/service/aws4_request, each step an HMAC under the previous key.
  const [date, ...rest] = scope.split('/');
  let key: Buffer = createHmac('sha256', `AWS4${credential.secretAccessKey}`).update(date!).digest();
  for (const part of rest) key = createHmac('sha256', key).update(part).digest();
  signingKeys.set(credential, { scope, key });
  return key;
}
