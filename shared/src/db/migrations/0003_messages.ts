import { type Kysely, sql } from 'kysely';

/**
 * The SQL MessageStore (embedded mode, or no Cassandra configured): messages as current state,
 * their reactions, the per-conversation event log, and one sequence row per conversation.
 *
 * Portable between CockroachDB and PostgreSQL: no SQL sequence allocates seqs — a row-level
 * counter (`conversation_seqs.last_seq`) incremented in the writing transaction does, so a
 * rolled-back write leaves no gap. No foreign keys to `conversations`: the store is keyed by
 * conversation id alone, like its Cassandra twin, and `dropConversation` cleans up.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('conversation_seqs')
    .addColumn('conversation_id', 'uuid', (col) => col.primaryKey())
    .addColumn('last_seq', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('conversation_events')
    .addColumn('conversation_id', 'uuid', (col) => col.notNull())
    .addColumn('seq', 'bigint', (col) => col.notNull())
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('actor_id', 'uuid')
    .addColumn('data', 'jsonb', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addPrimaryKeyConstraint('conversation_events_pkey', ['conversation_id', 'seq'])
    .execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('conversation_id', 'uuid', (col) => col.notNull())
    // The seq of its message.created event.
    .addColumn('seq', 'bigint', (col) => col.notNull())
    .addColumn('sender_id', 'uuid', (col) => col.notNull())
    .addColumn('client_message_id', 'text', (col) => col.notNull())
    .addColumn('body', 'text', (col) => col.notNull())
    .addColumn('reply_to_id', 'uuid')
    .addColumn('attachment_file_ids', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addColumn('edited_at', 'timestamptz')
    .addColumn('deleted_at', 'timestamptz')
    .addUniqueConstraint('messages_client_message_key', ['conversation_id', 'sender_id', 'client_message_id'])
    .execute();
  await db.schema
    .createIndex('messages_conversation_seq_key')
    .on('messages')
    .columns(['conversation_id', 'seq'])
    .unique()
    .execute();

  await db.schema
    .createTable('message_reactions')
    .addColumn('conversation_id', 'uuid', (col) => col.notNull())
    .addColumn('message_id', 'uuid', (col) => col.notNull())
    .addColumn('emoji', 'text', (col) => col.notNull())
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    // The seq of its reaction.added event: orders reactions exactly, where created_at may tie.
    .addColumn('seq', 'bigint', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addPrimaryKeyConstraint('message_reactions_pkey', ['conversation_id', 'message_id', 'emoji', 'user_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['message_reactions', 'messages', 'conversation_events', 'conversation_seqs']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
