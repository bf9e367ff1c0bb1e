import { z } from 'zod';
import { ValidationError } from '../../core/errors';
import { pathProblem } from '../../core/paths';
import type { ListQuery } from '../../core/ports';
import { HEAD, type Item } from './item-codec';
import { LIST_PARTITION } from './table';

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

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** What a cursor is checked against: the listing it must belong to. */
export interface CursorScope {
  /** Written into the cursor: which index and prefix it pages. */
  shape: string;
  prefix: string;
  /** For rotation listings, the upper bound of the index's range key. */
  dueBefore?: string;
}

export function cursorShape(query: ListQuery): CursorScope {
  return {
    shape: `${query.rotationDueBefore ? 'due' : 'path'}:${query.prefix}`,
    prefix: query.prefix,
    ...(query.rotationDueBefore !== undefined && { dueBefore: query.rotationDueBefore }),
  };
}

export function encodeCursor(lastKey: Item, scope: CursorScope): string {
  return Buffer.from(JSON.stringify({ q: scope.shape, k: lastKey }), 'utf8').toString('base64url');
}

/**
 * The start key a cursor names, or a ValidationError("invalid cursor"). The key is checked to
 * be one this listing could have returned (a HEAD within the prefix, in the index's range):
 * DynamoDB refuses any other start key with a ValidationException, which would surface as a
 * 500 for what is only a caller's bad input.
 */
export function decodeCursor(cursor: string, scope: CursorScope): Item {
  let parsed: z.infer<typeof cursorSchema>;
  try {
    parsed = cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch (cause) {
    throw new ValidationError('invalid cursor', [], { cause });
  }
  if (parsed.q !== scope.shape) throw new ValidationError('invalid cursor', ['cursor belongs to a different listing']);
  const { pk, sk, lst, due } = parsed.k;
  const inRange =
    pathProblem(pk.S) === undefined &&
    pk.S.startsWith(scope.prefix) &&
    sk.S === HEAD &&
    lst.S === LIST_PARTITION &&
    (scope.dueBefore === undefined
      ? due === undefined
      : due !== undefined && TIMESTAMP.test(due.S) && due.S <= scope.dueBefore);
  if (!inRange) throw new ValidationError('invalid cursor');
  return parsed.k as Item;
}
