import { type RawBuilder, sql } from 'kysely';

/**
 * A WHERE condition: no block stands between the user in `userIdColumn` and `callerId`, in
 * either direction. Lookups, key bundles and direct conversations all treat a block as mutual
 * invisibility.
 *
 * @example
 * db.selectFrom('users').selectAll().where(noBlockBetween('users.id', callerId))
 */
export function noBlockBetween(userIdColumn: string, callerId: string): RawBuilder<boolean> {
  const user = sql.ref(userIdColumn);
  return sql<boolean>`not exists (
    select 1 from user_blocks
    where (user_blocks.blocker_id = ${user} and user_blocks.blocked_id = ${callerId})
       or (user_blocks.blocker_id = ${callerId} and user_blocks.blocked_id = ${user})
  )`;
}
