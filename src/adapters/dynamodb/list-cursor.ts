import { z } from 'zod';
import { ValidationError } from '../../core/errors';
import type { ListQuery } from '../../core/ports';
import type { Item } from './item-codec';

/** The cursor binds the query it came from, so it cannot be replayed against another one. */
const cursorSchema = z.strictObject({
  q: z.string(),
  k: z.strictObject({
    pk: z.strictObject({ S: z.string() }),
    sk: z.strictObject({ S: z.string() }),
    lst: z.strictObject({ S: z.string() }),
    due: z.strictObject({ S: z.string() }).optional(),
  }),
});

export function cursorShape(query: ListQuery): string {
  return `${query.rotationDueBefore ? 'due' : 'path'}:${query.prefix}`;
}

export function encodeCursor(lastKey: Item, shape: string): string {
  return Buffer.from(JSON.stringify({ q: shape, k: lastKey }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, shape: string): Item {
  let parsed: z.infer<typeof cursorSchema>;
  try {
    parsed = cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch (cause) {
    throw new ValidationError('cursor is not valid', [], { cause });
  }
  if (parsed.q !== shape) throw new ValidationError('cursor belongs to a different listing');
  return parsed.k as Item;
}
