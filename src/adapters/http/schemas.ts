import { z } from 'zod';
import { EXCHANGES } from '../../core/exchange-keys';
import { MAX_VERSION } from '../../core/vault';

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
const casNumber = z.number().int().min(0).max(MAX_VERSION);

export const MAX_LABELS = 32;
const labelKey = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, 'label keys are 1-128 characters of [A-Za-z0-9._:/-]');
const labelValue = z.string().max(256);
const labels = z
  .record(labelKey, labelValue)
  .refine((value) => Object.keys(value).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`);

/** A value is a string or a JSON object: what a caller stores, verbatim. */
const secretValue = z.union([z.string(), z.record(z.string(), z.json())]);

export const putSecretBody = z.strictObject({
  value: secretValue,
  /** A typed secret; with `exchange-api-key` the value is that exchange's credential. */
  kind: z.literal('exchange-api-key').optional(),
  exchange: z.enum(EXCHANGES).optional(),
  labels: labels.optional(),
  cas: casNumber.optional(),
  rotationDays: z.number().int().min(1).max(3650).optional(),
});

export const getSecretQuery = z.strictObject({ version: versionText.optional() });

export const listQuery = z.strictObject({
  prefix: z.string().max(512).optional(),
  rotationDue: z.stringbool().optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')
    .transform(Number)
    .pipe(z.number().int().min(1).max(100))
    .optional(),
  cursor: z.string().max(4096).optional(),
  flagged: z.stringbool().optional(),
});

export const deleteSecretQuery = z.strictObject({
  versions: z
    .string()
    .regex(/^[1-9]\d{0,9}(,[1-9]\d{0,9}){0,99}$/, 'must be a comma-separated list of versions')
    .transform((text) => text.split(',').map(Number))
    .optional(),
  cas: casText.optional(),
});

export const versionsBody = z.strictObject({
  versions: z.array(versionNumber).min(1).max(100),
  cas: casNumber.optional(),
});

export const casQuery = z.strictObject({ cas: casText.optional() });

/** An instant with its offset (`2026-01-01T00:00:00Z`), turned into the trail's own form (UTC, milliseconds). */
const instant = z.iso.datetime({ offset: true }).transform((text) => new Date(text).toISOString());

export const historyQuery = z.strictObject({
  since: instant.optional(),
  until: instant.optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')
    .transform(Number)
    .pipe(z.number().int().min(1).max(100))
    .optional(),
  cursor: z.string().max(4096).optional(),
});

export const emptyBody = z.strictObject({});
