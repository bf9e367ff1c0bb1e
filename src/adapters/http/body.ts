import type { z } from 'zod';
import { ValidationError } from '../../core/errors';

/** Keys that could reach an object's prototype chain: refused anywhere in a body. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function parseJsonBody(raw: Buffer): unknown {
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
export function parse<T extends z.ZodType>(schema: T, input: unknown, where: string): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${[where, ...issue.path].join('.')}: ${issue.message}`);
    throw new ValidationError(`invalid ${where}`, issues);
  }
  return result.data;
}
