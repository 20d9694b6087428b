import type { ConversationEvent, DurableEventType } from './events';

/** A message as stored: the current state, kept beside the event log that records its history. */
export interface MessageRecord {
  conversationId: string;
  id: string;
  /** The seq of its `message.created` event. */
  seq: number;
  senderId: string;
  clientMessageId: string;
  /** Plain text, or opaque ciphertext in E2EE conversations. Empty once deleted. */
  body: string;
  replyToId: string | null;
  attachmentFileIds: string[];
  /** The poll this message posted; null for ordinary messages. */
  pollId: string | null;
  createdAt: Date;
  editedAt: Date | null;
  /** Set when deleted: the message stays as a tombstone. */
  deletedAt: Date | null;
  /** emoji → user ids who reacted with it, in reaction order. */
  reactions: Record<string, string[]>;
}

export interface NewMessage {
  conversationId: string;
  senderId: string;
  clientMessageId: string;
  body: string;
  replyToId: string | null;
  attachmentFileIds: string[];
  /** The poll this message posted; null for ordinary messages. */
  pollId: string | null;
}

export interface AppendedMessage {
  message: MessageRecord;
  event: ConversationEvent;
  /** False when (conversationId, senderId, clientMessageId) was seen before: same message, no new event. */
  created: boolean;
}

export interface MessageChange {
  message: MessageRecord;
  event: ConversationEvent;
}

/**
 * Messages and the per-conversation event log (SPEC §7). Two adapters: SQL (Kysely; embedded and
 * small deployments) and Cassandra (bucketed partitions). Both pass one contract suite.
 *
 * Every write that changes what a member sees appends exactly one event under the next seq of
 * its conversation, atomically with the change: seqs have no gaps and no repeats, even under
 * concurrent writers in several processes.
 */
export interface MessageStore {
  readonly kind: 'sql' | 'cassandra';

  /** Idempotent by (conversationId, senderId, clientMessageId). */
  appendMessage(input: NewMessage): Promise<AppendedMessage>;

  /** A durable event that changes no message (read, member.added, conversation.updated, …). */
  appendEvent(input: {
    conversationId: string;
    type: DurableEventType;
    actorId: string | null;
    data: Record<string, unknown>;
  }): Promise<ConversationEvent>;

  /** Null when the message does not exist in that conversation. */
  editMessage(input: {
    conversationId: string;
    messageId: string;
    body: string;
    actorId: string;
  }): Promise<MessageChange | null>;

  /** Empties the body, keeps a tombstone. Null when absent; a second delete returns null too. */
  deleteMessage(input: {
    conversationId: string;
    messageId: string;
    actorId: string;
  }): Promise<MessageChange | null>;

  /** Null (and no event) when the reaction already exists or the message is absent/deleted. */
  addReaction(input: {
    conversationId: string;
    messageId: string;
    emoji: string;
    userId: string;
  }): Promise<ConversationEvent | null>;

  /** Null (and no event) when there was no such reaction. */
  removeReaction(input: {
    conversationId: string;
    messageId: string;
    emoji: string;
    userId: string;
  }): Promise<ConversationEvent | null>;

  getMessage(conversationId: string, messageId: string): Promise<MessageRecord | null>;

  /** Ascending by seq; `beforeSeq`/`afterSeq` are exclusive bounds. With `beforeSeq`, the newest `limit` before it. */
  listMessages(
    conversationId: string,
    page: { beforeSeq?: number; afterSeq?: number; limit: number },
  ): Promise<MessageRecord[]>;

  /** Events with seq > afterSeq, ascending, at most `limit`. */
  eventsAfter(conversationId: string, afterSeq: number, limit: number): Promise<ConversationEvent[]>;

  /** 0 for a conversation with no events yet. */
  lastSeq(conversationId: string): Promise<number>;

  /** Messages after `afterSeq` not sent by `excludeSenderId`, not deleted, counted up to `cap`. */
  countMessagesAfter(
    conversationId: string,
    afterSeq: number,
    excludeSenderId: string,
    cap: number,
  ): Promise<number>;

  /** Case-insensitive substring search over non-deleted bodies, newest first. */
  search(conversationId: string, query: string, limit: number): Promise<MessageRecord[]>;

  /** Removes everything of a conversation (used by retention and tests). */
  dropConversation(conversationId: string): Promise<void>;

  close(): Promise<void>;
}
