import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { badRequest } from '../errors/problem';

/** Cursors are opaque to clients: base64url JSON of the last item's sort key. */
export function encodeCursor(position: Record<string, string>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

const invalidCursor = () =>
  badRequest('The cursor is invalid.', [
    { field: 'query.cursor', message: 'is not a cursor this API issued' },
  ]);

export function decodeCursor<K extends string>(cursor: string, keys: readonly K[]): Record<K, string> {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (keys.every((key) => typeof decoded[key] === 'string')) return decoded as Record<K, string>;
  } catch {
    // fall through to the same answer as a well-formed but foreign cursor
  }
  throw invalidCursor();
}

/** A timestamp as PostgreSQL and CockroachDB print one, to the microsecond. */
const EXACT_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(?:Z|[+-](\d{2})(?::?\d{2})?)$/;

/** Whether the database can read `text` as a timestamp: a real calendar day and time of day. */
function isExactTime(text: string): boolean {
  const parts = EXACT_TIME.exec(text);
  if (!parts) return false;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, offset = 0] = parts
    .slice(1)
    .map((part) => Number(part ?? 0));
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    offset <= 15
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where a listing ordered by (time desc, id desc) stopped: the last row's exact time and id. */
export interface TimeCursor {
  at: string;
  id: string;
}

/**
 * A column's timestamp as the database prints it, microseconds included: what a cursor records.
 * A JavaScript Date keeps milliseconds only, so a cursor made from one would skip or repeat rows
 * written within the same millisecond.
 */
export const exactTime = (column: string) => sql<string>`cast(${sql.ref(column)} as text)`;

/** Reads a {@link TimeCursor}; anything else (forged, foreign, truncated) is a 400, never a query. */
export function decodeTimeCursor(cursor: string): TimeCursor {
  const { at, id } = decodeCursor(cursor, ['at', 'id'] as const);
  if (!isExactTime(at) || !UUID.test(id)) {
    throw invalidCursor();
  }
  return { at, id };
}

/** Rows after `cursor` in a listing ordered by `timeColumn` desc, then `idColumn` desc. */
export function afterCursor(timeColumn: string, idColumn: string, cursor: TimeCursor): RawBuilder<SqlBool> {
  const at = sql`cast(${cursor.at} as timestamptz)`;
  const time = sql.ref(timeColumn);
  const id = sql.ref(idColumn);
  return sql<SqlBool>`(${time} < ${at} or (${time} = ${at} and ${id} < ${cursor.id}))`;
}
