import { ValidationError } from '../../core/errors';
import type { ListQuery } from '../../core/ports';
import { HEAD, type Item, key } from './item-codec';
import { LIST_PARTITION } from './table';

/**
 * The store's own position in a listing: the query it belongs to and the path (and, in due
 * order, the due date) of the last item evaluated. Listings only ever evaluate HEAD items, so
 * the rest of DynamoDB's LastEvaluatedKey is constant and is rebuilt, not carried. The vault
 * seals this string inside the cursor callers see; it is checked here all the same, and any
 * problem is a 400, never a query started from an arbitrary key.
 */
export function cursorShape(query: ListQuery): string {
  return `${query.order === 'due' ? 'due' : 'path'}:${query.prefix}`;
}

export function encodeCursor(lastKey: Item, shape: string): string {
  const path = lastKey.pk?.S;
  if (!path) throw new Error('a listing position needs the last path');
  return JSON.stringify(lastKey.due?.S === undefined ? [shape, path] : [shape, path, lastKey.due.S]);
}

export function decodeCursor(cursor: string, shape: string, prefix: string): Item {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    throw new ValidationError('invalid cursor');
  }
  const byDue = shape.startsWith('due:');
  if (
    !Array.isArray(parsed) ||
    parsed.length !== (byDue ? 3 : 2) ||
    !parsed.every((part) => typeof part === 'string' && part.length > 0) ||
    parsed[0] !== shape ||
    // In path order every evaluated item is under the prefix; in due order the prefix is a filter.
    (!byDue && !(parsed[1] as string).startsWith(prefix))
  ) {
    throw new ValidationError('invalid cursor');
  }
  const [, path, due] = parsed as string[];
  const lastKey: Item = { ...key(path!, HEAD), lst: { S: LIST_PARTITION } };
  if (due !== undefined) lastKey.due = { S: due };
  return lastKey;
}
