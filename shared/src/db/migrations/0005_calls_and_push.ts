import { type Kysely, sql } from 'kysely';

/**
 * Calls (through LiveKit, or peer to peer with signalling through the gateway), who joined them,
 * the devices push notifications go to, and each user's notification preferences.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('calls')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('conversation_id', 'uuid', (col) =>
      col.notNull().references('conversations.id').onDelete('cascade'),
    )
    .addColumn('created_by', 'uuid', (col) => col.notNull())
    // livekit: media through the SFU, `room` names its room; p2p: signalling through the gateway.
    .addColumn('mode', 'text', (col) => col.notNull())
    .addColumn('video', 'boolean', (col) => col.notNull())
    .addColumn('room', 'text')
    .addColumn('started_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('ended_at', 'timestamptz')
    .addColumn('ended_by', 'uuid')
    // hung-up, empty (nobody left), missed (nobody answered), room-finished (the SFU closed it).
    .addColumn('end_reason', 'text')
    .execute();
  // At most one call going on per conversation.
  await db.schema
    .createIndex('calls_one_active_per_conversation')
    .on('calls')
    .column('conversation_id')
    .unique()
    .where(sql.ref('ended_at'), 'is', null)
    .execute();
  await db.schema.createIndex('calls_active_idx').on('calls').columns(['ended_at', 'started_at']).execute();

  await db.schema
    .createTable('call_participants')
    .addColumn('call_id', 'uuid', (col) => col.notNull().references('calls.id').onDelete('cascade'))
    .addColumn('user_id', 'uuid', (col) => col.notNull())
    .addColumn('joined_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('left_at', 'timestamptz')
    .addPrimaryKeyConstraint('call_participants_pkey', ['call_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('push_devices')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'uuid', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('platform', 'text', (col) => col.notNull())
    .addColumn('token', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('registered_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  // A device token belongs to one device, so to one user at a time: re-registering moves it.
  await db.schema
    .createIndex('push_devices_token_key')
    .on('push_devices')
    .columns(['platform', 'token'])
    .unique()
    .execute();
  await db.schema.createIndex('push_devices_user_idx').on('push_devices').column('user_id').execute();

  await db.schema
    .createTable('notification_preferences')
    .addColumn('user_id', 'uuid', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('push_enabled', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('previews', 'boolean', (col) => col.notNull().defaultTo(true))
    // "HH:MM" local times in time_zone (IANA); quiet hours may wrap midnight (22:00–07:00).
    .addColumn('quiet_start', 'text')
    .addColumn('quiet_end', 'text')
    .addColumn('time_zone', 'text')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['notification_preferences', 'push_devices', 'call_participants', 'calls']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
