/**
 * The Cassandra schema of the MessageStore, as ordered, append-only migrations. Each statement is
 * idempotent (`IF NOT EXISTS`; an `ALTER TABLE … ADD` of a column that exists is skipped by the
 * runner), so a migration interrupted half-way is simply run again.
 *
 * Partitions are (conversation_id, bucket) with bucket = floor(seq / bucketSize): no partition
 * holds more than bucketSize events (or messages), however long a conversation lives.
 */
export interface CqlMigration {
  /** Sorted by this; never renamed or edited once shipped. */
  version: string;
  statements: (keyspace: string) => string[];
}

export const CQL_MIGRATIONS: CqlMigration[] = [
  {
    version: '0001_messages',
    statements: (ks) => [
      // The event log: the single source of seqs. Each row is written once, by the writer that won
      // `INSERT … IF NOT EXISTS` on its seq; event_id names that writer, so one whose write timed
      // out can learn whether it won. message_id is set on message.created (for send recovery).
      `CREATE TABLE IF NOT EXISTS ${ks}.events_by_conversation (
        conversation_id uuid,
        bucket int,
        seq bigint,
        event_id uuid,
        type text,
        actor_id uuid,
        message_id uuid,
        data text,
        created_at timestamp,
        PRIMARY KEY ((conversation_id, bucket), seq)
      ) WITH CLUSTERING ORDER BY (seq ASC)`,
      // A hint, never decreasing: the buckets a conversation's log has reached (the newest first),
      // so finding the last seq reads one bucket or two instead of scanning. floor_seq is the last
      // seq at the latest dropConversation: seqs continue above it.
      `CREATE TABLE IF NOT EXISTS ${ks}.conversation_heads (
        conversation_id uuid,
        bucket int,
        floor_seq bigint static,
        PRIMARY KEY (conversation_id, bucket)
      ) WITH CLUSTERING ORDER BY (bucket DESC)`,
      // Messages as they stand now, at the seq of their message.created event. Cells are written
      // with USING TIMESTAMP <seq of the change> so that they end as the log says, whatever order
      // the writes land in; a delete writes with a timestamp no edit can beat.
      `CREATE TABLE IF NOT EXISTS ${ks}.messages_by_conversation (
        conversation_id uuid,
        bucket int,
        seq bigint,
        message_id uuid,
        sender_id uuid,
        client_message_id text,
        body text,
        reply_to_id uuid,
        attachment_file_ids list<uuid>,
        created_at timestamp,
        edited_at timestamp,
        deleted_at timestamp,
        PRIMARY KEY ((conversation_id, bucket), seq)
      ) WITH CLUSTERING ORDER BY (seq ASC)`,
      // message id → seq, for get/edit/delete/react by id. One row per partition: no hot spot.
      `CREATE TABLE IF NOT EXISTS ${ks}.message_lookup (
        conversation_id uuid,
        message_id uuid,
        seq bigint,
        PRIMARY KEY ((conversation_id, message_id))
      )`,
      // Idempotent sends: the first writer of (conversation, sender, clientMessageId) claims it with
      // `IF NOT EXISTS` and names the message; every later send of it returns that message.
      `CREATE TABLE IF NOT EXISTS ${ks}.messages_by_client_id (
        conversation_id uuid,
        sender_id uuid,
        client_message_id text,
        message_id uuid,
        claim_token uuid,
        claimed_at timestamp,
        floor_seq bigint,
        PRIMARY KEY ((conversation_id, sender_id, client_message_id))
      )`,
      // One partition per message; rows claimed with IF NOT EXISTS / removed with IF EXISTS, so a
      // reaction added or removed twice at once gives one event.
      `CREATE TABLE IF NOT EXISTS ${ks}.reactions_by_message (
        conversation_id uuid,
        message_id uuid,
        emoji text,
        user_id uuid,
        reacted_at timeuuid,
        PRIMARY KEY ((conversation_id, message_id), emoji, user_id)
      )`,
    ],
  },
  {
    version: '0002_message_poll_id',
    // The poll a message posted; no cell for ordinary messages.
    statements: (ks) => [`ALTER TABLE ${ks}.messages_by_conversation ADD poll_id uuid`],
  },
];
