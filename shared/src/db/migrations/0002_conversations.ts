import { type Kysely, sql } from 'kysely';

/**
 * Conversations, members with roles and read state, and the E2EE key directory.
 * Messages and the event log live behind the MessageStore port (SQL or Cassandra).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('conversations')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('title', 'text')
    // "<smaller user id>:<larger user id>" for direct conversations, so a pair has at most one.
    .addColumn('direct_key', 'text')
    .addColumn('created_by', 'uuid', (col) => col.notNull())
    .addColumn('e2ee', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('ai_enabled', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('retention_days', 'integer')
    // Denormalized summary for conversation lists; the event log is the truth.
    .addColumn('last_seq', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('last_message_id', 'uuid')
    .addColumn('last_message_sender_id', 'uuid')
    .addColumn('last_message_preview', 'text')
    .addColumn('last_message_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('conversations_direct_key')
    .on('conversations')
    .column('direct_key')
    .unique()
    .execute();

  await db.schema
    .createTable('conversation_members')
    .addColumn('conversation_id', 'uuid', (col) =>
      col.notNull().references('conversations.id').onDelete('cascade'),
    )
    .addColumn('user_id', 'uuid', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (col) => col.notNull().defaultTo('member'))
    .addColumn('joined_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('read_seq', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('muted_until', 'timestamptz')
    .addPrimaryKeyConstraint('conversation_members_pkey', ['conversation_id', 'user_id'])
    .execute();
  await db.schema
    .createIndex('conversation_members_user_idx')
    .on('conversation_members')
    .columns(['user_id', 'conversation_id'])
    .execute();

  await db.schema
    .createTable('identity_keys')
    .addColumn('user_id', 'uuid', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('identity_key', 'text', (col) => col.notNull())
    .addColumn('signed_prekey_id', 'integer', (col) => col.notNull())
    .addColumn('signed_prekey', 'text', (col) => col.notNull())
    .addColumn('signed_prekey_signature', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('one_time_prekeys')
    .addColumn('user_id', 'uuid', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('key_id', 'integer', (col) => col.notNull())
    .addColumn('public_key', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('one_time_prekeys_pkey', ['user_id', 'key_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['one_time_prekeys', 'identity_keys', 'conversation_members', 'conversations']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
