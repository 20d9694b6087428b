import { type Kysely, type QueryCreator, sql } from 'kysely';
import { queryTemplate } from '../db/query-template';
import type { DB } from '../db/schema';
import { type ConversationEvent, encodeEventFrame } from '../messaging/events';
import type { MessageRecord } from '../messaging/message-store';
import type { Logger } from '../observability/logger';
import { conversationChannel, type EventBus, type UserSignal, userChannel } from '../realtime/event-bus';

const PREVIEW_LENGTH = 140;

/** A new message and whether its conversation is end-to-end encrypted. */
interface SentMessage {
  record: MessageRecord;
  e2ee: boolean;
}

/** A conversation's list summary after an event: its last seq and activity time. */
interface Summary {
  conversationId: string;
  /** As the bigint columns read back: one parameter type for all three uses in {@link sentStatement}. */
  seq: string;
  updatedAt: Date;
}

/** What the conversation list shows of its newest message. */
interface Preview {
  messageId: string;
  senderId: string;
  /** Null for E2EE: the server cannot read those bodies, so it never shows them. */
  preview: string | null;
  createdAt: Date;
}

/** One more message on its day, for the admin statistics (SPEC §5 admin-stats). */
interface DailyCount {
  /** The message's UTC date, `YYYY-MM-DD`. */
  day: string;
  /** One of {@link COUNT_SHARDS} rows per day, at random, so concurrent sends rarely wait on one row. */
  shard: number;
}

const COUNT_SHARDS = 8;

const summaryOf = (event: ConversationEvent): Summary => ({
  conversationId: event.conversationId,
  seq: String(event.seq),
  updatedAt: new Date(),
});

/** Refreshes the list summary and, with a new message, its preview. */
function refreshSummary(db: QueryCreator<DB>, summary: Summary, message?: Preview) {
  return db
    .updateTable('conversations')
    .set((eb) => {
      const refreshed = {
        last_seq: sql<string>`greatest(${eb.ref('last_seq')}, ${summary.seq})`,
        updated_at: summary.updatedAt,
      };
      if (!message) return refreshed;
      // Only a newer message replaces the preview: concurrent sends may finish out of order.
      const newer = sql<boolean>`(${eb.ref('last_message_at')} is null or ${eb.ref('last_message_at')} <= ${message.createdAt})`;
      const ifNewer = <T>(
        value: T,
        column: 'last_message_id' | 'last_message_sender_id' | 'last_message_preview' | 'last_message_at',
      ) => sql<T>`case when ${newer} then ${value} else ${eb.ref(column)} end`;
      return {
        ...refreshed,
        last_message_id: ifNewer(message.messageId, 'last_message_id'),
        last_message_sender_id: ifNewer(message.senderId, 'last_message_sender_id'),
        last_message_preview: ifNewer(message.preview, 'last_message_preview'),
        last_message_at: ifNewer(message.createdAt, 'last_message_at'),
      };
    })
    .where('id', '=', summary.conversationId);
}

/**
 * The summary with the message as its preview, the message counted on its day, and the sender's
 * read pointer moved past it (they have read what they wrote) — forward only, as every read
 * pointer moves.
 */
const sentStatement = queryTemplate((db: Kysely<DB>, p: Summary & Preview & DailyCount) =>
  db
    // A data-modifying CTE runs to completion even though nothing reads it (PostgreSQL, CockroachDB).
    .with('summary', (db) => refreshSummary(db, p, p))
    .with('counted', (db) =>
      db
        .insertInto('message_daily_counts')
        .values({ day: p.day, shard: p.shard, count: 1 })
        .onConflict((oc) =>
          oc
            .columns(['day', 'shard'])
            .doUpdateSet((eb) => ({ count: eb('message_daily_counts.count', '+', 1) })),
        ),
    )
    .updateTable('conversation_members')
    .set({ read_seq: p.seq })
    .where('conversation_id', '=', p.conversationId)
    .where('user_id', '=', p.senderId)
    .where('read_seq', '<', p.seq),
);

/**
 * What follows every durable change, after the event is safely in the log: tell the gateways,
 * then refresh the conversation's list summary. Both are best effort — a client that missed
 * the push catches up from the log by seq — so failures are logged, never thrown.
 */
export class ConversationEvents {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {}

  /** Publishes first (the latency members feel), then refreshes the list summary in one statement. */
  async published(event: ConversationEvent): Promise<void> {
    await this.publish(event);
    await this.bestEffort(event, 'conversation summary not updated', () =>
      refreshSummary(this.db, summaryOf(event)).execute(),
    );
  }

  /** A new message's `message.created`: publishes first, then ONE statement ({@link sentStatement}). */
  async messageSent(event: ConversationEvent, message: SentMessage): Promise<void> {
    await this.publish(event);
    const { record, e2ee } = message;
    await this.bestEffort(
      event,
      "conversation summary, daily count and sender's read pointer not updated",
      () =>
        sentStatement.execute(this.db, {
          ...summaryOf(event),
          messageId: record.id,
          senderId: record.senderId,
          preview: e2ee ? null : record.body.slice(0, PREVIEW_LENGTH),
          createdAt: record.createdAt,
          day: record.createdAt.toISOString().slice(0, 10),
          shard: Math.floor(Math.random() * COUNT_SHARDS),
        }),
    );
  }

  async signal(userIds: string[], signal: UserSignal): Promise<void> {
    const payload = JSON.stringify(signal);
    await Promise.all(userIds.map((userId) => this.bus.publish(userChannel(userId), payload)));
  }

  private async publish(event: ConversationEvent): Promise<void> {
    await this.bus.publish(conversationChannel(event.conversationId), encodeEventFrame(event));
  }

  private async bestEffort(event: ConversationEvent, failure: string, statement: () => Promise<unknown>) {
    try {
      await statement();
    } catch (error) {
      this.logger.warn({ err: error, conversationId: event.conversationId, seq: event.seq }, failure);
    }
  }
}
