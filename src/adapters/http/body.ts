import type * as z from 'zod/mini';
import { ValidationError } from '../../core/errors';

/** Keys that could reach an object's prototype chain: refused anywhere in a body. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Levels of objects and arrays a value may nest (the value object itself is level 1). */
export const MAX_VALUE_DEPTH = 64;
/** The body wraps the value in one more object. */
const MAX_BODY_DEPTH = MAX_VALUE_DEPTH + 1;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const [OPEN_ARRAY, OPEN_OBJECT, CLOSE_ARRAY, CLOSE_OBJECT] = [0x5b, 0x7b, 0x5d, 0x7d];

/**
 * Whether the JSON text nests objects and arrays deeper than `max`, found by one loop over the
 * bytes, without recursion. It runs before JSON.parse: the reviver, zod's JSON schema and the
 * core all walk a value recursively, and a body a few thousand levels deep would overflow
 * their stack. Brackets inside strings do not count; `"` and `\` are ASCII, so they never
 * occur inside a multi-byte UTF-8 character. Text that is not JSON may be counted loosely:
 * JSON.parse refuses it next.
 */
export function nestsDeeperThan(raw: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

export function parseJsonBody(raw: Buffer): unknown {
  if (nestsDeeperThan(raw, MAX_BODY_DEPTH)) {
    throw new ValidationError(`request body nests deeper than values may (${MAX_VALUE_DEPTH} levels)`);
  }
  try {
    return JSON.parse(raw.toString('utf8'), (key, value: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) throw new ValidationError(`the key '${key}' is not allowed`);
      return value;
    });
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    // The parser's message quotes the body; it is dropped on purpose.
    throw new ValidationError('request body is not valid JSON');
  }
}

/** Parses `input` (a body or a query) with `schema`; issues name the field, never its value. */
export function parse<T extends z.ZodMiniType>(schema: T, input: unknown, where: string): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${[where, ...issue.path].join('.')}: ${issue.message}`);
    throw new ValidationError(`invalid ${where}`, issues);
  }
  return result.data;
}
