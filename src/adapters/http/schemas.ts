import * as z from 'zod/mini';
import { EXCHANGES } from '../../core/exchange-keys';
import { MAX_VERSION } from '../../core/vault';

/**
 * zod/mini, not zod's classic API: the schemas are the same, and the Lambda bundle is smaller
 * by about 140 KiB and faster to load (classic's method-chaining classes cannot be tree-shaken).
 */

/**
 * Every request schema is built on its first use, not when this module loads: a Lambda
 * container that only serves reads never builds the write and lifecycle schemas, which was
 * several milliseconds of every cold start. `once` keeps the first build, so a schema is one
 * object however often it is asked for (the OpenAPI document relies on that for its $refs).
 */
export function once<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

/**
 * Schemas the OpenAPI document names in `components.schemas`: a schema registered here is
 * described once and referenced wherever a route uses it.
 */
export const components = z.registry<{ id: string; description?: string }>();

/** A description for the OpenAPI document (no effect on parsing). */
export function described<T extends z.ZodMiniType>(schema: T, description: string): T {
  return schema.check(z.describe(description)) as T;
}

export function named<T extends z.ZodMiniType>(id: string, description: string, schema: T): T {
  const withDescription = described(schema, description);
  components.add(withDescription, { id });
  return withDescription;
}

/** A whole number in a query string, within bounds. */
function wholeNumber(pattern: RegExp, message: string) {
  return z.pipe(z.string().check(z.regex(pattern, message)), z.transform(Number));
}

/** Versions in query strings: 1 to 10 digits, no sign, no fraction, no leading zero. */
const versionText = () => wholeNumber(/^[1-9]\d{0,9}$/, 'must be a whole number from 1 to 9999999999');
const casText = () => wholeNumber(/^(0|[1-9]\d{0,9})$/, 'must be a whole number from 0 to 9999999999');
const versionNumber = () => z.int().check(z.minimum(1), z.maximum(MAX_VERSION));
const casNumber = () =>
  described(
    z.int().check(z.minimum(0), z.maximum(MAX_VERSION)),
    'the version the caller expects to be current; 0 means the secret must not exist yet',
  );
const pageLimit = (description: string) =>
  described(
    z.pipe(
      wholeNumber(/^\d{1,3}$/, 'must be a whole number from 1 to 100'),
      z.int().check(z.minimum(1), z.maximum(100)),
    ),
    description,
  );
const cursor = () => described(z.string().check(z.maxLength(4096)), 'the cursor of the previous page, unchanged');

export const MAX_LABELS = 32;
export const labels = once(() =>
  named(
    'Labels',
    `plaintext metadata (never a secret): at most ${MAX_LABELS} labels`,
    z
      .record(
        z
          .string()
          .check(
            z.regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, 'label keys are 1-128 characters of [A-Za-z0-9._:/-]'),
          ),
        z.string().check(z.maxLength(256)),
      )
      .check(z.refine((value) => Object.keys(value).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`)),
  ),
);

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Any JSON value (zod's z.json(), written out so the document can name it). */
export const jsonValue = once(
  (): z.ZodMiniType<JsonValue> =>
    named(
      'JsonValue',
      'any JSON value',
      // The getter runs at the first parse, when jsonValue() already returns this schema.
      z.lazy(() =>
        z.union([
          z.string(),
          z.number(),
          z.boolean(),
          z.null(),
          z.array(jsonValue()),
          z.record(z.string(), jsonValue()),
        ]),
      ),
    ),
);

/** A value is a string or a JSON object: what a caller stores, verbatim. */
export const secretValue = once(() =>
  named(
    'SecretValue',
    'a string or a JSON object, stored verbatim and returned as sent (at most 16 KiB as JSON)',
    z.union([z.string(), z.record(z.string(), jsonValue())]),
  ),
);

export const putSecretBody = once(() =>
  named(
    'PutSecretRequest',
    'a new version of the secret',
    z.strictObject({
      value: secretValue(),
      kind: z.optional(
        described(
          z.literal('exchange-api-key'),
          "a typed secret: the value is then that exchange's credential, validated and checked",
        ),
      ),
      exchange: z.optional(
        described(z.enum(EXCHANGES), 'with kind exchange-api-key: the exchange that issued the key'),
      ),
      labels: z.optional(labels()),
      cas: z.optional(casNumber()),
      rotationDays: z.optional(
        described(z.int().check(z.minimum(1), z.maximum(3650)), 'rotation period of this secret, days'),
      ),
    }),
  ),
);

export const getSecretQuery = once(() =>
  z.strictObject({
    version: z.optional(described(versionText(), 'a version number (default: the current version)')),
  }),
);

export const listQuery = once(() =>
  z.strictObject({
    prefix: z.optional(described(z.string().check(z.maxLength(512)), 'only paths that start with this')),
    rotationDue: z.optional(
      described(z.stringbool(), 'true: only secrets whose current version is older than their rotation period'),
    ),
    limit: z.optional(pageLimit('items per page, 1..100 (default 50); a page may hold fewer')),
    cursor: z.optional(cursor()),
    flagged: z.optional(described(z.stringbool(), 'true: only exchange keys whose latest re-check flagged them')),
  }),
);

export const deleteSecretQuery = once(() =>
  z.strictObject({
    versions: z.optional(
      described(
        z.pipe(
          z
            .string()
            .check(z.regex(/^[1-9]\d{0,9}(,[1-9]\d{0,9}){0,99}$/, 'must be a comma-separated list of versions')),
          z.transform((text: string) => text.split(',').map(Number)),
        ),
        'comma-separated versions (default: the current version)',
      ),
    ),
    cas: z.optional(described(casText(), 'the version the caller expects to be current')),
  }),
);

export const versionsBody = once(() =>
  named(
    'VersionsRequest',
    'the versions a lifecycle call acts on',
    z.strictObject({
      versions: z.array(versionNumber()).check(z.minLength(1), z.maxLength(100)),
      cas: z.optional(casNumber()),
    }),
  ),
);

export const casQuery = once(() =>
  z.strictObject({
    cas: z.optional(described(casText(), 'the version the caller expects to be current')),
  }),
);

/** An instant with its offset (`2026-01-01T00:00:00Z`), turned into the trail's own form (UTC, milliseconds). */
const instant = (description: string) =>
  described(
    z.pipe(
      z.iso.datetime({ offset: true }),
      z.transform((text: string) => new Date(text).toISOString()),
    ),
    description,
  );

export const historyQuery = once(() =>
  z.strictObject({
    since: z.optional(instant('only records at or after this instant (ISO 8601 with offset)')),
    until: z.optional(instant('only records before this instant (ISO 8601 with offset)')),
    limit: z.optional(pageLimit('records per page, 1..100 (default 50)')),
    cursor: z.optional(cursor()),
  }),
);

export const emptyQuery = once(() => z.strictObject({}));

export const emptyBody = once(() => named('EmptyRequest', 'an empty JSON object', z.strictObject({})));
