import { type Kysely, sql } from 'kysely';

/**
 * Polls (with their options and votes) and the drive (files, per-user usage, shares through
 * message attachments, and the queue of objects still to delete from the blob store).
 * A poll is posted as a message that names it: `messages.poll_id` (SQL MessageStore).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('poll_id', 'uuid').execute();

  await db.schema
    .createTable('polls')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('conversation_id', 'uuid', (col) =>
      col.notNull().references('conversations.id').onDelete('cascade'),
    )
    // The message that posted the poll; null only between creating the poll and posting it.
    .addColumn('message_id', 'uuid')
    .addColumn('creator_id', 'uuid', (col) => col.notNull())
    .addColumn('question', 'text', (col) => col.notNull())
    .addColumn('multiple_choice', 'boolean', (col) => col.notNull())
    .addColumn('anonymous', 'boolean', (col) => col.notNull())
    .addColumn('closes_at', 'timestamptz')
    .addColumn('closed_at', 'timestamptz')
    .addColumn('closed_by', 'uuid')
    // Set when the message that posted it is deleted: the poll is gone for everyone.
    .addColumn('deleted_at', 'timestamptz')
    // Bumped by every change of votes or state; the event log has carried the poll up to
    // published_version. A publisher holds the poll while publishing_until is in the future.
    .addColumn('version', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('published_version', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('publishing_until', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('polls_conversation_idx').on('polls').column('conversation_id').execute();

  await db.schema
    .createTable('poll_options')
    .addColumn('poll_id', 'uuid', (col) => col.notNull().references('polls.id').onDelete('cascade'))
    .addColumn('id', 'uuid', (col) => col.notNull())
    .addColumn('position', 'integer', (col) => col.notNull())
    .addColumn('text', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('poll_options_pkey', ['poll_id', 'id'])
    .execute();

  await db.schema
    .createTable('poll_votes')
    .addColumn('poll_id', 'uuid', (col) => col.notNull())
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('option_id', 'uuid', (col) => col.notNull())
    .addColumn('voted_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('poll_votes_pkey', ['poll_id', 'user_id', 'option_id'])
    .addForeignKeyConstraint(
      'poll_votes_option_fkey',
      ['poll_id', 'option_id'],
      'poll_options',
      ['poll_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();

  await db.schema
    .createTable('files')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('owner_id', 'uuid', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('object_key', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('content_type', 'text', (col) => col.notNull())
    .addColumn('size', 'bigint', (col) => col.notNull())
    // pending: quota reserved, upload URL handed out; ready: verified and counted.
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('pending'))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    // A pending upload not completed by then is expired by the sweep.
    .addColumn('upload_expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('completed_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('files_object_key').on('files').column('object_key').unique().execute();
  await db.schema
    .createIndex('files_owner_idx')
    .on('files')
    .columns(['owner_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('files_pending_idx')
    .on('files')
    .columns(['status', 'upload_expires_at'])
    .execute();

  // One row per user who ever reserved space; used + reserved never exceeds the quota, checked in
  // the one UPDATE that reserves (race-free without locks held across round trips).
  await db.schema
    .createTable('drive_usage')
    .addColumn('user_id', 'uuid', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('used_bytes', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('reserved_bytes', 'bigint', (col) => col.notNull().defaultTo(0))
    .execute();

  // A file attached to a message: members of that conversation may download it while the
  // message stands.
  await db.schema
    .createTable('file_shares')
    .addColumn('file_id', 'uuid', (col) => col.notNull().references('files.id').onDelete('cascade'))
    .addColumn('conversation_id', 'uuid', (col) =>
      col.notNull().references('conversations.id').onDelete('cascade'),
    )
    .addColumn('message_id', 'uuid', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('file_shares_pkey', ['file_id', 'conversation_id', 'message_id'])
    .execute();
  await db.schema
    .createIndex('file_shares_message_idx')
    .on('file_shares')
    .columns(['conversation_id', 'message_id'])
    .execute();

  // Objects whose files are gone from SQL but may still be in the blob store: written in the
  // transaction that removes the file, deleted from the store at once, or by the sweep once due.
  // While the file's upload window is open (recheck_at) an upload could still land, so a
  // successful deletion is repeated once then: no object outlives its file.
  await db.schema
    .createTable('blob_deletions')
    .addColumn('object_key', 'text', (col) => col.primaryKey())
    .addColumn('requested_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('due_at', 'timestamptz', (col) => col.notNull())
    .addColumn('recheck_at', 'timestamptz')
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('blob_deletions_due_idx').on('blob_deletions').column('due_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'blob_deletions',
    'file_shares',
    'drive_usage',
    'files',
    'poll_votes',
    'poll_options',
    'polls',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await db.schema.alterTable('messages').dropColumn('poll_id').execute();
}
