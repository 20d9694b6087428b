import type { Kysely } from 'kysely';
import type { DB } from '../db/schema';
import { type ConversationEvent, encodeEventFrame } from '../messaging/events';
import type { MessageRecord } from '../messaging/message-store';
import type { Logger } from '../observability/logger';
import { conversationChannel, type EventBus, type UserSignal, userChannel } from '../realtime/event-bus';

const PREVIEW_LENGTH = 140;

/**
 * What follows every durable change, after the event is safely in the log: refresh the
 * conversation's list summary and tell the gateways. Both are best effort — a client that missed
 * the push catches up from the log by seq — so failures are logged, never thrown.
 */
export class ConversationEvents {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {}

  async published(
    event: ConversationEvent,
    message?: { record: MessageRecord; e2ee: boolean },
  ): Promise<void> {
    try {
      await this.db
        .updateTable('conversations')
        .set({ last_seq: event.seq, updated_at: new Date() })
        .where('id', '=', event.conversationId)
        .where('last_seq', '<', String(event.seq))
        .execute();
      if (message) {
        const { record, e2ee } = message;
        await this.db
          .updateTable('conversations')
          .set({
            last_message_id: record.id,
            last_message_sender_id: record.senderId,
            // The server cannot read E2EE bodies, so it never shows them.
            last_message_preview: e2ee ? null : record.body.slice(0, PREVIEW_LENGTH),
            last_message_at: record.createdAt,
          })
          .where('id', '=', event.conversationId)
          .where((eb) =>
            eb.or([eb('last_message_at', 'is', null), eb('last_message_at', '<=', record.createdAt)]),
          )
          .execute();
      }
    } catch (error) {
      this.logger.warn(
        { err: error, conversationId: event.conversationId, seq: event.seq },
        'conversation summary not updated',
      );
    }
    await this.bus.publish(conversationChannel(event.conversationId), encodeEventFrame(event));
  }

  async signal(userIds: string[], signal: UserSignal): Promise<void> {
    const payload = JSON.stringify(signal);
    await Promise.all(userIds.map((userId) => this.bus.publish(userChannel(userId), payload)));
  }
}
