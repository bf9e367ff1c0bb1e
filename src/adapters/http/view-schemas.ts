import * as z from 'zod/mini';
import { EXCHANGES } from '../../core/exchange-keys';
import { described, labels, named, secretValue } from './schemas';
import type {
  DescriptionView,
  HistoryView,
  ListView,
  MetadataView,
  MutationView,
  RecheckView,
  RewrapView,
  SecretView,
} from './views';

/**
 * The responses as zod schemas, for the OpenAPI document. The TypeScript views (views.ts) stay
 * the source the code and the typed client compile against; the assertions at the end of this
 * file fail to compile when the two disagree, and the e2e tests parse real responses with these.
 */

/** The error codes each status can carry (errors.ts maps errors to statuses in one place). */
export const ERROR_CODES = {
  400: ['validation_error'],
  401: ['unauthenticated'],
  403: ['access_denied'],
  404: ['not_found'],
  408: ['request_timeout'],
  409: ['conflict', 'too_many_versions', 'duplicate_exchange_key', 'kind_mismatch'],
  410: ['version_deleted', 'version_destroyed'],
  413: ['too_large'],
  415: ['unsupported_media_type'],
  417: ['expectation_failed'],
  422: ['exchange_key_invalid', 'exchange_ip_not_whitelisted', 'exchange_key_rejected'],
  431: ['too_large'],
  500: ['integrity_error', 'unknown_key', 'internal'],
  503: ['dependency_unavailable'],
} as const satisfies Record<number, readonly string[]>;

export type ErrorStatus = keyof typeof ERROR_CODES;

export const ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'bad path, query, body, version or cursor; unknown fields',
  401: 'no identity, or a signature that does not verify (the body never says which check failed)',
  403: 'the policy does not allow this action on this path',
  404: 'the path, or that version, never existed',
  408: 'server mode (npm start): the headers or the whole request were not received in time',
  409: '`cas` mismatch, a concurrent change, too many concurrent writers, too many young versions, an exchange key already stored under another path, or a change of kind',
  410: 'the version is soft-deleted or destroyed (or dropped by retention)',
  413: 'value over 16 KiB or body over 64 KiB',
  415: 'a PUT or POST body that is not application/json, or a compressed body',
  417: 'server mode (npm start): an Expect header other than 100-continue',
  422: 'the exchange refused the key, the call came from an address the key is not bound to, or the key may withdraw (or breaks the deployment rules)',
  431: 'server mode (npm start): request headers over 16 KiB',
  500: 'a stored record failed authentication, or anything unexpected; no internal detail',
  503: 'KMS or DynamoDB failed, throttled or timed out; Retry-After says when to retry',
};

/** `{"error": {code, message, requestId, details?}}` with the codes one status carries. */
export function errorSchema(status: ErrorStatus) {
  return z.strictObject({
    error: z.strictObject({
      code: z.enum(ERROR_CODES[status]),
      message: z.string(),
      requestId: z.string(),
      details: z.optional(
        described(
          z.array(z.string()),
          'one line per invalid field (400), or what the exchange said: its code, or refusal reasons (422)',
        ),
      ),
    }),
  });
}

/**
 * Builds the schemas; viewSchemas() memoises it. Nothing at a module's top level builds them:
 * only GET /openapi.json (openapi.ts) and tests need them, and a Lambda cold start would pay
 * for building them.
 */
function buildViewSchemas() {
  const timestamp = described(z.string(), 'ISO 8601, UTC');
  const version = z.int().check(z.minimum(1));

  const versionSummarySchema = named(
    'VersionSummary',
    'one retained version',
    z.strictObject({
      version,
      createdAt: timestamp,
      createdBy: described(z.string(), 'the principal that wrote it'),
      state: z.enum(['active', 'deleted', 'destroyed']),
      kid: z.optional(described(z.string(), 'the key that wraps its data key (absent once destroyed)')),
    }),
  );

  const exchangeSchema = z.enum(EXCHANGES);
  const permissionFlag = described(z.nullable(z.boolean()), 'true, false, or null when the exchange does not say');

  const permissionCheckSchema = named(
    'PermissionCheck',
    'what an exchange said a key may do, in one shape for every exchange; no raw answer, no secret',
    z.strictObject({
      exchange: exchangeSchema,
      checkedAt: timestamp,
      canTrade: permissionFlag,
      canTradeDerivatives: permissionFlag,
      canWithdraw: permissionFlag,
      canTransfer: permissionFlag,
      readOnly: permissionFlag,
      ipRestricted: permissionFlag,
      ipWhitelist: z.optional(described(z.array(z.string()), 'the bound addresses, as the exchange shows them')),
      expiresAt: described(z.nullable(timestamp), 'when the key (or its trading permission) stops working, if known'),
      expiryKind: z.optional(z.enum(['reported', 'no-ip-binding'])),
      keyCreatedAt: z.optional(timestamp),
      warnings: described(z.array(z.string()), 'e.g. inactivity_expiry_14d'),
    }),
  );

  const metadataViewSchema = named(
    'Metadata',
    "a secret's metadata and retained versions; never a value",
    z.strictObject({
      path: z.string(),
      version: described(version, 'the current version'),
      labels: labels(),
      createdAt: timestamp,
      createdBy: z.string(),
      updatedAt: timestamp,
      updatedBy: z.string(),
      currentSince: described(timestamp, 'when the current version was written'),
      rotationDays: z.optional(described(z.int(), 'set when overridden for this secret')),
      rotationDueAt: timestamp,
      versions: z.array(versionSummarySchema),
      kind: z.optional(described(z.literal('exchange-api-key'), 'set for exchange API keys')),
      exchange: z.optional(exchangeSchema),
      apiKeyHint: z.optional(described(z.string(), "the apiKey's first and last characters, the rest masked")),
      check: z.optional(described(z.nullable(permissionCheckSchema), 'the latest check; null when checks are off')),
      flagged: z.optional(described(z.array(z.string()), 'why the latest re-check flagged the key')),
    }),
  );

  const mutationViewSchema = named(
    'MutationResult',
    'the metadata when the caller may describe the secret, otherwise only the path and current version',
    z.union([metadataViewSchema, z.strictObject({ path: z.string(), version })]),
  );

  const secretViewSchema = named(
    'Secret',
    'one version of a secret, with its value',
    z.strictObject({ path: z.string(), version, value: secretValue(), createdAt: timestamp, createdBy: z.string() }),
  );

  const listViewSchema = named(
    'MetadataPage',
    'a page of metadata; only a missing cursor means the end',
    z.strictObject({
      items: z.array(metadataViewSchema),
      cursor: z.optional(described(z.string(), 'pass back as ?cursor= for the next page')),
    }),
  );

  const rewrapViewSchema = named(
    'RewrapResult',
    'which versions moved to the current key',
    z.strictObject({
      path: z.string(),
      rewrapped: z.array(version),
      skipped: z.array(version),
      keyId: described(z.string(), 'the current key'),
    }),
  );

  const recheckViewSchema = named(
    'RecheckResult',
    'what the exchange said of the current version, recorded without a new version',
    z.intersection(
      mutationViewSchema,
      z.object({
        check: z.nullable(permissionCheckSchema),
        flagged: described(z.array(z.string()), 'refusal reasons or the exchange refusal code; empty when it passed'),
      }),
    ),
  );

  const accessSummarySchema = named(
    'AccessSummary',
    "recent reads, from the secret's access trail",
    z.strictObject({
      lastReadAt: z.optional(described(timestamp, 'the latest successful read among the records examined')),
      lastReadBy: z.optional(z.string()),
      readsLast24h: described(z.int().check(z.minimum(0)), 'successful reads in the 24 hours before the describe'),
      readsLast24hCapped: described(z.boolean(), 'true when the count reached the bound: at least this many'),
    }),
  );

  const descriptionViewSchema = named(
    'Description',
    "a secret's metadata; with access, recent reads (for a caller who may also audit)",
    z.intersection(metadataViewSchema, z.object({ access: z.optional(accessSummarySchema) })),
  );

  const exchangeCheckNoteSchema = named(
    'ExchangeCheckNote',
    'what an exchange check said, as the trail records it: flags only',
    z.strictObject({
      exchange: z.string(),
      checked: described(z.boolean(), 'false when the key was stored unchecked'),
      canTrade: z.optional(permissionFlag),
      canTradeDerivatives: z.optional(permissionFlag),
      canWithdraw: z.optional(permissionFlag),
      canTransfer: z.optional(permissionFlag),
      ipRestricted: z.optional(permissionFlag),
      flagged: z.array(z.string()),
    }),
  );

  const accessRecordSchema = named(
    'AccessRecord',
    'one request on the secret, as its access trail recorded it; never a value, key, label value or signature',
    z.strictObject({
      time: timestamp,
      principal: z.string(),
      action: z.string(),
      versions: z.array(version),
      decision: z.enum(['allow', 'deny']),
      reason: z.string(),
      result: described(z.string(), 'ok, or the error code the request ended with'),
      requestId: z.string(),
      gatewayRequestId: z.optional(z.string()),
      purpose: z.optional(described(z.string(), 'as stated in X-Vault-Purpose')),
      exchangeCheck: z.optional(exchangeCheckNoteSchema),
      chain: described(z.string(), "the writing process's chain (audit verify)"),
      seq: z.int().check(z.minimum(0)),
    }),
  );

  const historyViewSchema = named(
    'AccessHistory',
    'a page of access records, newest first; only a missing cursor means the end',
    z.strictObject({
      items: z.array(accessRecordSchema),
      cursor: z.optional(described(z.string(), 'pass back as ?cursor= for the next page')),
    }),
  );

  const healthSchema = named('Health', 'liveness', z.strictObject({ status: z.literal('ok') }));

  const errorSchemas = Object.fromEntries(
    Object.keys(ERROR_CODES).map((status) => {
      const code = Number(status) as ErrorStatus;
      return [code, named(`Error${code}`, ERROR_DESCRIPTIONS[code], errorSchema(code))];
    }),
  ) as { [S in ErrorStatus]: ReturnType<typeof errorSchema> };

  return {
    versionSummarySchema,
    permissionCheckSchema,
    metadataViewSchema,
    mutationViewSchema,
    secretViewSchema,
    listViewSchema,
    rewrapViewSchema,
    recheckViewSchema,
    accessSummarySchema,
    descriptionViewSchema,
    exchangeCheckNoteSchema,
    accessRecordSchema,
    historyViewSchema,
    healthSchema,
    errorSchemas,
  };
}

export type ViewSchemas = ReturnType<typeof buildViewSchemas>;

let built: ViewSchemas | undefined;

/** The response schemas, built (and registered with their names in schemas.ts `components`) on first use. */
export function viewSchemas(): ViewSchemas {
  built ??= buildViewSchemas();
  return built;
}

// Compile-time agreement between the views the code sends and the schemas the document shows:
// every view is a valid instance of its schema, and both name the same fields.
type Describes<Schema extends z.ZodMiniType, View> = [View] extends [z.output<Schema>]
  ? [keyof View] extends [keyof z.output<Schema>]
    ? [keyof z.output<Schema>] extends [keyof View]
      ? true
      : false
    : false
  : false;
const agree = <T extends true>() => undefined as unknown as T;
agree<Describes<ViewSchemas['metadataViewSchema'], MetadataView>>();
agree<Describes<ViewSchemas['mutationViewSchema'], MutationView>>();
// The core types a value loosely (Record<string, unknown>); it is JSON.parse's output, so JSON.
agree<
  Describes<
    ViewSchemas['secretViewSchema'],
    Omit<SecretView, 'value'> & { value: z.output<ReturnType<typeof secretValue>> }
  >
>();
agree<Describes<ViewSchemas['listViewSchema'], ListView>>();
agree<Describes<ViewSchemas['rewrapViewSchema'], RewrapView>>();
agree<Describes<ViewSchemas['recheckViewSchema'], RecheckView>>();
agree<Describes<ViewSchemas['descriptionViewSchema'], DescriptionView>>();
agree<Describes<ViewSchemas['historyViewSchema'], HistoryView>>();
