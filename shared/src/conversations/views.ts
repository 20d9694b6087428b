import type { ConversationRow, MemberRow } from '../db/schema';
import type { ConversationEvent } from '../messaging/events';
import type { MessageRecord } from '../messaging/message-store';
import { messageJson } from '../messaging/store-support';
import type { Conversation, EventView, Message } from './api-schemas';

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

export function toConversation(
  row: ConversationRow,
  membership: Pick<MemberRow, 'role' | 'read_seq' | 'muted_until'>,
  extra: { unreadCount: number; memberCount: number },
): Conversation {
  return {
    id: row.id,
    type: row.type,
    title: row.title,
    e2ee: row.e2ee,
    aiEnabled: row.ai_enabled,
    retentionDays: row.retention_days,
    createdBy: row.created_by,
    createdAt: iso(row.created_at)!,
    lastSeq: Number(row.last_seq),
    lastMessage:
      row.last_message_id && row.last_message_sender_id && row.last_message_at
        ? {
            id: row.last_message_id,
            senderId: row.last_message_sender_id,
            preview: row.last_message_preview,
            createdAt: iso(row.last_message_at)!,
          }
        : null,
    unreadCount: extra.unreadCount,
    readSeq: Number(membership.read_seq),
    role: membership.role,
    mutedUntil: iso(membership.muted_until),
    memberCount: extra.memberCount,
  };
}

/** The same shape `message.created` events carry, so REST and realtime clients see one message. */
export const toMessage: (record: MessageRecord) => Message = messageJson;

export function toEventView(event: ConversationEvent): EventView {
  return {
    conversationId: event.conversationId,
    seq: event.seq,
    event: event.type,
    actorId: event.actorId,
    data: event.data,
    createdAt: event.createdAt.toISOString(),
  };
}
