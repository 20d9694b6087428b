import { type Kysely, sql } from 'kysely';

/**
 * Each user's AI opt-in; messages counted per day (for admin statistics, in a few shard rows
 * per day so concurrent sends rarely wait on one row); each realtime gateway's count of open
 * sockets, refreshed on its heartbeat, so statistics can sum them across gateways; and the audit
 * log indexed by actor, for an admin's view of one user's events.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ai_settings')
    .addColumn('user_id', 'uuid', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('enabled', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('message_daily_counts')
    .addColumn('day', 'date', (col) => col.notNull())
    .addColumn('shard', 'integer', (col) => col.notNull())
    .addColumn('count', 'bigint', (col) => col.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('message_daily_counts_pkey', ['day', 'shard'])
    .execute();

  await db.schema
    .createTable('gateway_heartbeats')
    .addColumn('gateway_id', 'text', (col) => col.primaryKey())
    .addColumn('sockets', 'integer', (col) => col.notNull())
    .addColumn('seen_at', 'timestamptz', (col) => col.notNull())
    .execute();

  // The admin audit log lists a user's events as actor or subject; 0001 indexed only the subject.
  await db.schema
    .createIndex('audit_log_actor_idx')
    .on('audit_log')
    .columns(['actor_id', 'occurred_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_log_actor_idx').ifExists().execute();
  for (const table of ['gateway_heartbeats', 'message_daily_counts', 'ai_settings']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
