import type { Kysely } from 'kysely';
import type { Config } from '../config/env';
import type { DB } from '../db/schema';
import type { FileReferences } from '../drive/file-references';
import { conflict, forbidden, notFound, ProblemError } from '../errors/problem';
import type { MessageStore } from '../messaging/message-store';
import type { PushQueue } from '../push/push-queue';
import type { RateLimiter } from '../ratelimit/rate-limiter';
import { isAdmin, requireMembership, requireUnblockedMembership } from './access';
import type { Message, SendMessage } from './api-schemas';
import type { ConversationEvents } from './conversation-events';
import { toMessage } from './views';

export interface MessageServiceDeps {
  db: Kysely<DB>;
  messages: MessageStore;
  events: ConversationEvents;
  limiter: RateLimiter;
  /** Attachments: the sender's own completed files, shared with the members while the message stands. */
  files: Pick<FileReferences, 'requireAttachable' | 'share' | 'unshare'>;
  /** Members without a live socket hear of new messages by push. */
  push: PushQueue;
  /** A poll goes with the message that posted it (the poll service, which sits above this one). */
  polls: { messageDeleted(conversationId: string, pollId: string): Promise<void> };
  config: Pick<Config, 'MESSAGE_MAX_BYTES'>;
}

/** Messages and reactions (SPEC §5 messages-*, reactions-*). */
export class MessageService {
  constructor(private readonly deps: MessageServiceDeps) {}

  /**
   * Idempotent by clientMessageId: a retry after a lost response returns the same message and
   * publishes nothing new. The sender's read pointer moves past their own message.
   */
  async send(
    callerId: string,
    conversationId: string,
    input: SendMessage,
  ): Promise<{ message: Message; created: boolean }> {
    const { db, messages, limiter } = this.deps;
    const membership = await requireUnblockedMembership(db, conversationId, callerId);
    this.assertBodySize(input.body, 'body.body');
    await this.deps.files.requireAttachable(callerId, input.attachmentFileIds, 'body.attachmentFileIds');
    if (input.replyToId) {
      const original = await messages.getMessage(conversationId, input.replyToId);
      if (!original) {
        throw new ProblemError(
          422,
          'reply-target-missing',
          'The message replied to is not in this conversation.',
          {
            errors: [{ field: 'body.replyToId', message: 'is not a message of this conversation' }],
          },
        );
      }
    }
    await limiter.consume('send-message', callerId);
    const appended = await messages.appendMessage({
      conversationId,
      senderId: callerId,
      clientMessageId: input.clientMessageId,
      body: input.body,
      replyToId: input.replyToId ?? null,
      attachmentFileIds: input.attachmentFileIds,
      pollId: null,
    });
    // Before anyone hears of the message (and again on a retry, in case the first try failed here).
    await this.deps.files.share(conversationId, appended.message.id, appended.message.attachmentFileIds);
    if (appended.created) {
      await this.deps.events.messageSent(appended.event, {
        record: appended.message,
        e2ee: membership.conversation.e2ee,
      });
      await this.deps.push.enqueue({ kind: 'message', conversationId, messageId: appended.message.id });
    }
    return { message: toMessage(appended.message), created: appended.created };
  }

  async list(
    callerId: string,
    conversationId: string,
    page: { before?: number; after?: number; limit: number },
  ): Promise<{ items: Message[]; lastSeq: number }> {
    await requireMembership(this.deps.db, conversationId, callerId);
    const [records, lastSeq] = await Promise.all([
      this.deps.messages.listMessages(conversationId, {
        beforeSeq: page.before,
        afterSeq: page.after,
        limit: page.limit,
      }),
      this.deps.messages.lastSeq(conversationId),
    ]);
    return { items: records.map(toMessage), lastSeq };
  }

  /** The server cannot read E2EE bodies, so it cannot search them. */
  async search(
    callerId: string,
    conversationId: string,
    query: { q: string; limit: number },
  ): Promise<{ items: Message[] }> {
    const { conversation } = await requireMembership(this.deps.db, conversationId, callerId);
    if (conversation.e2ee) {
      throw conflict(
        'e2ee-search-unavailable',
        'Search is unavailable in end-to-end encrypted conversations; search on the device.',
      );
    }
    const records = await this.deps.messages.search(conversationId, query.q, query.limit);
    return { items: records.map(toMessage) };
  }

  async edit(callerId: string, conversationId: string, messageId: string, body: string): Promise<Message> {
    await requireUnblockedMembership(this.deps.db, conversationId, callerId);
    this.assertBodySize(body, 'body.body');
    const current = await this.requireMessage(conversationId, messageId);
    if (current.senderId !== callerId) throw forbidden('Only the author may edit a message.');
    if (current.deletedAt) throw conflict('message-deleted', 'A deleted message cannot be edited.');
    if (current.pollId) throw conflict('poll-message', 'A poll cannot be edited; close it or delete it.');
    const change = await this.deps.messages.editMessage({
      conversationId,
      messageId,
      body,
      actorId: callerId,
    });
    if (!change) throw notFound('No such message.');
    await this.deps.events.published(change.event);
    return toMessage(change.message);
  }

  /** The author or a group admin; the message stays as a tombstone. Deleting twice is a no-op. */
  async delete(callerId: string, conversationId: string, messageId: string): Promise<void> {
    const membership = await requireMembership(this.deps.db, conversationId, callerId);
    const current = await this.requireMessage(conversationId, messageId);
    const mayModerate = membership.conversation.type === 'group' && isAdmin(membership.member);
    if (current.senderId !== callerId && !mayModerate)
      throw forbidden('Only the author or a group admin may delete a message.');
    if (current.pollId) await this.deps.polls.messageDeleted(conversationId, current.pollId);
    await this.deps.files.unshare(conversationId, messageId);
    const change = await this.deps.messages.deleteMessage({ conversationId, messageId, actorId: callerId });
    if (change) await this.deps.events.published(change.event);
  }

  async addReaction(
    callerId: string,
    conversationId: string,
    messageId: string,
    emoji: string,
  ): Promise<void> {
    await requireUnblockedMembership(this.deps.db, conversationId, callerId);
    const current = await this.requireMessage(conversationId, messageId);
    if (current.deletedAt) throw conflict('message-deleted', 'A deleted message takes no reactions.');
    const event = await this.deps.messages.addReaction({
      conversationId,
      messageId,
      emoji,
      userId: callerId,
    });
    if (event) await this.deps.events.published(event);
  }

  async removeReaction(
    callerId: string,
    conversationId: string,
    messageId: string,
    emoji: string,
  ): Promise<void> {
    await requireMembership(this.deps.db, conversationId, callerId);
    await this.requireMessage(conversationId, messageId);
    const event = await this.deps.messages.removeReaction({
      conversationId,
      messageId,
      emoji,
      userId: callerId,
    });
    if (event) await this.deps.events.published(event);
  }

  private async requireMessage(conversationId: string, messageId: string) {
    const message = await this.deps.messages.getMessage(conversationId, messageId);
    if (!message) throw notFound('No such message.');
    return message;
  }

  private assertBodySize(body: string, field: string): void {
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > this.deps.config.MESSAGE_MAX_BYTES) {
      throw new ProblemError(
        413,
        'message-too-large',
        `The message is ${bytes} bytes; at most ${this.deps.config.MESSAGE_MAX_BYTES} are allowed.`,
        {
          errors: [{ field, message: `must be at most ${this.deps.config.MESSAGE_MAX_BYTES} bytes` }],
        },
      );
    }
  }
}
