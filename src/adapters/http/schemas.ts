import { z } from 'zod';
import { EXCHANGES } from '../../core/exchange-keys';
import { MAX_VERSION } from '../../core/vault';

/**
 * Schemas the OpenAPI document names in `components.schemas`: a schema registered here is
 * described once and referenced wherever a route uses it.
 */
export const components = z.registry<{ id: string; description?: string }>();

export function named<T extends z.ZodType>(id: string, description: string, schema: T): T {
  const described = schema.describe(description) as T;
  components.add(described, { id });
  return described;
}

/** Versions in query strings: 1 to 10 digits, no sign, no fraction, no leading zero. */
const versionText = z
  .string()
  .regex(/^[1-9]\d{0,9}$/, 'must be a whole number from 1 to 9999999999')
  .transform(Number);
const casText = z
  .string()
  .regex(/^(0|[1-9]\d{0,9})$/, 'must be a whole number from 0 to 9999999999')
  .transform(Number);
const versionNumber = z.number().int().min(1).max(MAX_VERSION);
const casNumber = z
  .number()
  .int()
  .min(0)
  .max(MAX_VERSION)
  .describe('the version the caller expects to be current; 0 means the secret must not exist yet');

export const MAX_LABELS = 32;
const labelKey = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, 'label keys are 1-128 characters of [A-Za-z0-9._:/-]');
const labelValue = z.string().max(256);
export const labels = named(
  'Labels',
  `plaintext metadata (never a secret): at most ${MAX_LABELS} labels`,
  z
    .record(labelKey, labelValue)
    .refine((value) => Object.keys(value).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`),
);

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Any JSON value (zod's z.json(), written out so the document can name it). */
export const jsonValue: z.ZodType<JsonValue> = named(
  'JsonValue',
  'any JSON value',
  z.lazy(() =>
    z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
  ),
);

/** A value is a string or a JSON object: what a caller stores, verbatim. */
export const secretValue = named(
  'SecretValue',
  'a string or a JSON object, stored verbatim and returned as sent (at most 16 KiB as JSON)',
  z.union([z.string(), z.record(z.string(), jsonValue)]),
);

export const putSecretBody = named(
  'PutSecretRequest',
  'a new version of the secret',
  z.strictObject({
    value: secretValue,
    kind: z
      .literal('exchange-api-key')
      .describe("a typed secret: the value is then that exchange's credential, validated and checked")
      .optional(),
    exchange: z.enum(EXCHANGES).describe('with kind exchange-api-key: the exchange that issued the key').optional(),
    labels: labels.optional(),
    cas: casNumber.optional(),
    rotationDays: z.number().int().min(1).max(3650).describe('rotation period of this secret, days').optional(),
  }),
);

export const getSecretQuery = z.strictObject({
  version: versionText.describe('a version number (default: the current version)').optional(),
});

export const listQuery = z.strictObject({
  prefix: z.string().max(512).describe('only paths that start with this').optional(),
  rotationDue: z
    .stringbool()
    .describe('true: only secrets whose current version is older than their rotation period')
    .optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')
    .transform(Number)
    .pipe(z.number().int().min(1).max(100))
    .describe('items per page, 1..100 (default 50); a page may hold fewer')
    .optional(),
  cursor: z.string().max(4096).describe('the cursor of the previous page, unchanged').optional(),
  flagged: z.stringbool().describe('true: only exchange keys whose latest re-check flagged them').optional(),
});

export const deleteSecretQuery = z.strictObject({
  versions: z
    .string()
    .regex(/^[1-9]\d{0,9}(,[1-9]\d{0,9}){0,99}$/, 'must be a comma-separated list of versions')
    .transform((text) => text.split(',').map(Number))
    .describe('comma-separated versions (default: the current version)')
    .optional(),
  cas: casText.describe('the version the caller expects to be current').optional(),
});

export const versionsBody = named(
  'VersionsRequest',
  'the versions a lifecycle call acts on',
  z.strictObject({
    versions: z.array(versionNumber).min(1).max(100),
    cas: casNumber.optional(),
  }),
);

export const casQuery = z.strictObject({
  cas: casText.describe('the version the caller expects to be current').optional(),
});

/** An instant with its offset (`2026-01-01T00:00:00Z`), turned into the trail's own form (UTC, milliseconds). */
const instant = z.iso.datetime({ offset: true }).transform((text) => new Date(text).toISOString());

export const historyQuery = z.strictObject({
  since: instant.describe('only records at or after this instant (ISO 8601 with offset)').optional(),
  until: instant.describe('only records before this instant (ISO 8601 with offset)').optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')
    .transform(Number)
    .pipe(z.number().int().min(1).max(100))
    .describe('records per page, 1..100 (default 50)')
    .optional(),
  cursor: z.string().max(4096).describe('the cursor of the previous page, unchanged').optional(),
});

export const emptyQuery = z.strictObject({});

export const emptyBody = named('EmptyRequest', 'an empty JSON object', z.strictObject({}));
