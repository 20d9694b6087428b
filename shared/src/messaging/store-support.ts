import type { ConversationEvent, DurableEventType } from './events';
import type { MessageRecord, NewMessage } from './message-store';

/**
 * What both MessageStore adapters share: the payloads of the message events (what clients
 * receive, identical whichever adapter wrote them) and small pure helpers.
 *
 * Event payloads (`ConversationEvent.data`):
 * - `message.created` → `{ message: MessageJson }` (the whole message as the API returns it)
 * - `message.updated` → `{ messageId, body, editedAt }`
 * - `message.deleted` → `{ messageId, deletedAt }`
 * - `reaction.added` / `reaction.removed` → `{ messageId, emoji, userId }`
 *
 * Folding the log in seq order gives the current state when clients apply these rules: an
 * update of a deleted message changes nothing; a delete empties the body and drops the
 * message's reactions; reactions are a set per (emoji, user).
 */

/** A message as JSON (dates as ISO strings), as carried by `message.created`. */
export interface MessageJson {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientMessageId: string;
  body: string;
  replyToId: string | null;
  attachmentFileIds: string[];
  pollId: string | null;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
  reactions: Record<string, string[]>;
}

export function messageJson(message: MessageRecord): MessageJson {
  return {
    id: message.id,
    conversationId: message.conversationId,
    seq: message.seq,
    senderId: message.senderId,
    clientMessageId: message.clientMessageId,
    body: message.body,
    replyToId: message.replyToId,
    attachmentFileIds: [...message.attachmentFileIds],
    pollId: message.pollId,
    createdAt: message.createdAt.toISOString(),
    editedAt: message.editedAt?.toISOString() ?? null,
    deletedAt: message.deletedAt?.toISOString() ?? null,
    reactions: message.reactions,
  };
}

/** The inverse of {@link messageJson}, for an adapter that rebuilds a message from its created event. */
export function messageFromJson(json: MessageJson): MessageRecord {
  return {
    ...json,
    attachmentFileIds: [...json.attachmentFileIds],
    // Created events logged before polls existed carry no pollId.
    pollId: json.pollId ?? null,
    createdAt: new Date(json.createdAt),
    editedAt: json.editedAt === null ? null : new Date(json.editedAt),
    deletedAt: json.deletedAt === null ? null : new Date(json.deletedAt),
    reactions: { ...json.reactions },
  };
}

export const eventData = {
  created: (message: MessageRecord) => ({ message: messageJson(message) }),
  updated: (messageId: string, body: string, editedAt: Date) => ({
    messageId,
    body,
    editedAt: editedAt.toISOString(),
  }),
  deleted: (messageId: string, deletedAt: Date) => ({ messageId, deletedAt: deletedAt.toISOString() }),
  reaction: (messageId: string, emoji: string, userId: string) => ({ messageId, emoji, userId }),
};

/**
 * The payload exactly as it will read back from the log: JSON has no Date, undefined or
 * prototype, so an event returned by an append equals the same event fetched later.
 */
export function normalizeData(data: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
}

export function makeEvent(
  conversationId: string,
  seq: number,
  type: DurableEventType,
  actorId: string | null,
  data: Record<string, unknown>,
  createdAt: Date,
): ConversationEvent {
  return { conversationId, seq, type, actorId, data, createdAt };
}

/** emoji → user ids in reaction order, from reactions in any order with the seq that added each. */
export function groupReactions(
  reactions: Iterable<{ emoji: string; userId: string; seq: number }>,
): Record<string, string[]> {
  const grouped: Record<string, string[]> = {};
  for (const { emoji, userId } of [...reactions].sort((a, b) => a.seq - b.seq)) {
    const users = grouped[emoji] ?? [];
    users.push(userId);
    grouped[emoji] = users;
  }
  return grouped;
}

/** Clock time at millisecond precision (what a JS Date holds), so stored and returned times compare exactly. */
export function now(): Date {
  return new Date();
}

/** A number from a bigint column, whichever way the driver hands it over (string, bigint, Long). */
export function toSeq(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' || typeof value === 'bigint') return Number(value);
  if (value && typeof value === 'object' && 'toNumber' in value && typeof value.toNumber === 'function') {
    return value.toNumber() as number;
  }
  throw new TypeError(`not a sequence number: ${String(value)}`);
}

/** Case-insensitive substring match, as `ILIKE '%query%'` does it. */
export function matchesQuery(body: string, query: string): boolean {
  return body.toLowerCase().includes(query.toLowerCase());
}

/** The record a new message starts as, identical in both adapters. */
export function newMessageRecord(input: NewMessage, id: string, seq: number, createdAt: Date): MessageRecord {
  return {
    conversationId: input.conversationId,
    id,
    seq,
    senderId: input.senderId,
    clientMessageId: input.clientMessageId,
    body: input.body,
    replyToId: input.replyToId,
    attachmentFileIds: [...input.attachmentFileIds],
    pollId: input.pollId,
    createdAt,
    editedAt: null,
    deletedAt: null,
    reactions: {},
  };
}
