import { type Kysely, type QueryCreator, sql } from 'kysely';
import type { DB } from '../db/schema';
import { type ConversationEvent, encodeEventFrame } from '../messaging/events';
import type { MessageRecord } from '../messaging/message-store';
import type { Logger } from '../observability/logger';
import { conversationChannel, type EventBus, type UserSignal, userChannel } from '../realtime/event-bus';

const PREVIEW_LENGTH = 140;

/** A new message, as the conversation list previews it. */
interface SentMessage {
  record: MessageRecord;
  e2ee: boolean;
}

/**
 * The conversation's list summary after `event`: its last seq and activity time and, for a new
 * message, the preview.
 */
function refreshSummary(db: QueryCreator<DB>, event: ConversationEvent, message?: SentMessage) {
  return db
    .updateTable('conversations')
    .set((eb) => {
      const summary = {
        last_seq: sql<string>`greatest(${eb.ref('last_seq')}, ${event.seq})`,
        updated_at: new Date(),
      };
      if (!message) return summary;
      const { record, e2ee } = message;
      // Only a newer message replaces the preview: concurrent sends may finish out of order.
      const newer = sql<boolean>`(${eb.ref('last_message_at')} is null or ${eb.ref('last_message_at')} <= ${record.createdAt})`;
      const ifNewer = <T>(
        value: T,
        column: 'last_message_id' | 'last_message_sender_id' | 'last_message_preview' | 'last_message_at',
      ) => sql<T>`case when ${newer} then ${value} else ${eb.ref(column)} end`;
      return {
        ...summary,
        last_message_id: ifNewer(record.id, 'last_message_id'),
        last_message_sender_id: ifNewer(record.senderId, 'last_message_sender_id'),
        // The server cannot read E2EE bodies, so it never shows them.
        last_message_preview: ifNewer(
          e2ee ? null : record.body.slice(0, PREVIEW_LENGTH),
          'last_message_preview',
        ),
        last_message_at: ifNewer(record.createdAt, 'last_message_at'),
      };
    })
    .where('id', '=', event.conversationId);
}

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
      refreshSummary(this.db, event).execute(),
    );
  }

  /**
   * A new message's `message.created`: publishes first, then ONE statement refreshes the list
   * summary with the message as its preview and moves the sender's read pointer past it (they
   * have read what they wrote) — forward only, as every read pointer moves.
   */
  async messageSent(event: ConversationEvent, message: SentMessage): Promise<void> {
    await this.publish(event);
    await this.bestEffort(event, "conversation summary and sender's read pointer not updated", () =>
      this.db
        // A data-modifying CTE runs to completion even though nothing reads it (PostgreSQL, CockroachDB).
        .with('summary', (db) => refreshSummary(db, event, message))
        .updateTable('conversation_members')
        .set({ read_seq: event.seq })
        .where('conversation_id', '=', event.conversationId)
        .where('user_id', '=', message.record.senderId)
        .where('read_seq', '<', String(event.seq))
        .execute(),
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
