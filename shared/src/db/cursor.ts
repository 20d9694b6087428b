import { badRequest } from '../errors/problem';

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
