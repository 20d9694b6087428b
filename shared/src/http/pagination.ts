import * as v from 'valibot';
import { badRequest } from './problem';

/** `?cursor=&limit=` as every list endpoint accepts it (SPEC §5). */
export const PageQuerySchema = v.object({
  cursor: v.optional(v.pipe(v.string(), v.maxLength(512))),
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, 'must be a whole number'),
      v.transform(Number),
      v.minValue(1, 'must be at least 1'),
      v.maxValue(100, 'must be at most 100'),
    ),
    '50',
  ),
});

/** `{ items, nextCursor }` for an item schema. */
export const pageOf = <S extends v.GenericSchema>(item: S) =>
  v.object({ items: v.array(item), nextCursor: v.nullable(v.string()) });

/** Cursors are opaque to clients: base64url JSON of the last item's sort key. */
export function encodeCursor(position: Record<string, string>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<K extends string>(cursor: string, keys: readonly K[]): Record<K, string> {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (keys.every((key) => typeof decoded[key] === 'string')) return decoded as Record<K, string>;
  } catch {
    // fall through to the same answer as a well-formed but foreign cursor
  }
  throw badRequest('The cursor is invalid.', [
    { field: 'query.cursor', message: 'is not a cursor this API issued' },
  ]);
}
