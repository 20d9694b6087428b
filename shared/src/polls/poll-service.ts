import { randomUUID } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import {
  isAdmin,
  type Membership,
  requireMembership,
  requireUnblockedMembership,
} from '../conversations/access';
import type { ConversationEvents } from '../conversations/conversation-events';
import type { DB, PollRow } from '../db/schema';
import { withReadCommitted, withTransaction } from '../db/transaction';
import { conflict, forbidden, notFound, ProblemError } from '../errors/problem';
import type { MessageStore } from '../messaging/message-store';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { PushQueue } from '../push/push-queue';
import type { RateLimiter } from '../ratelimit/rate-limiter';
import { type CreatePoll, POLL_MAX_DURATION_DAYS, type Poll } from './api-schemas';
import { PollPublisher } from './poll-publisher';
import { closedAt, loadPollState, type PollState, toPoll } from './poll-state';

export interface PollServiceDeps {
  db: Kysely<DB>;
  messages: MessageStore;
  events: ConversationEvents;
  limiter: RateLimiter;
  /** Members without a live socket hear of a new poll by push, as of any message. */
  push: PushQueue;
  metrics: Metrics;
  logger: Logger;
}

const noSuchPoll = () => notFound('No such poll.');

type VoteOutcome = 'cast' | 'changed' | 'retracted' | 'unchanged';

/**
 * Polls (SPEC §5 polls-*): posted as a message, voted on by members, closed by hand or at
 * `closesAt`. Every change reaches the conversation's event log as a `poll.updated` snapshot
 * ({@link PollPublisher}), so recovery covers polls as it covers messages.
 *
 * Anonymous polls store who voted (to replace or take back a vote) but show it to nobody: not in
 * views, events (actor null), logs (the vote functions keep the caller out of the request log)
 * or metrics.
 */
export class PollService {
  private readonly publisher: PollPublisher;

  constructor(private readonly deps: PollServiceDeps) {
    this.publisher = new PollPublisher(deps);
  }

  /**
   * Posts the poll as a message in the conversation (its body is the question, its `pollId` names
   * the poll), then its first snapshot. With a `clientMessageId` seen before, answers the poll
   * posted then and creates nothing.
   */
  async create(
    callerId: string,
    conversationId: string,
    input: CreatePoll,
  ): Promise<{ poll: Poll; created: boolean }> {
    const { db, messages, limiter } = this.deps;
    const { conversation } = await requireUnblockedMembership(db, conversationId, callerId);
    if (conversation.e2ee) {
      throw conflict(
        'e2ee-polls-unavailable',
        'Polls are counted by the server, so they are unavailable in end-to-end encrypted conversations.',
      );
    }
    const closesAt = this.parseClosesAt(input.closesAt);
    await limiter.consume('send-message', callerId);
    const pollId = randomUUID();
    await withTransaction(
      db,
      async (trx) => {
        await trx
          .insertInto('polls')
          .values({
            id: pollId,
            conversation_id: conversationId,
            creator_id: callerId,
            question: input.question,
            multiple_choice: input.multipleChoice,
            anonymous: input.anonymous,
            closes_at: closesAt,
            // Its first snapshot is version 1, published once the message is posted.
            version: 1,
          })
          .execute();
        await trx
          .insertInto('poll_options')
          .values(
            input.options.map((text, position) => ({ poll_id: pollId, id: randomUUID(), position, text })),
          )
          .execute();
      },
      { metrics: this.deps.metrics },
    );
    let appended: Awaited<ReturnType<MessageStore['appendMessage']>>;
    try {
      appended = await messages.appendMessage({
        conversationId,
        senderId: callerId,
        clientMessageId: input.clientMessageId ?? `poll:${pollId}`,
        body: input.question,
        replyToId: null,
        attachmentFileIds: [],
        pollId,
      });
    } catch (error) {
      await this.discard(pollId);
      throw error;
    }
    if (!appended.created) {
      await this.discard(pollId);
      const earlier = appended.message.pollId;
      if (!earlier) {
        throw conflict(
          'client-message-id-taken',
          'That clientMessageId already names a message of yours that is not a poll.',
        );
      }
      // The first attempt may have stopped before naming its message.
      await this.nameMessage(earlier, appended.message.id);
      return { poll: await this.get(callerId, earlier), created: false };
    }
    await this.nameMessage(pollId, appended.message.id);
    await this.deps.events.messageSent(appended.event, { record: appended.message, e2ee: false });
    this.deps.metrics.pollsCreatedTotal.inc();
    await this.deps.push.enqueue({ kind: 'message', conversationId, messageId: appended.message.id });
    await this.publisher.publish(pollId);
    return { poll: await this.view(pollId, callerId), created: true };
  }

  async get(callerId: string, pollId: string): Promise<Poll> {
    const { state } = await this.requireVisible(callerId, pollId);
    // A change whose publisher died is published by the next reader.
    if (Number(state.poll.version) > Number(state.poll.published_version)) {
      await this.publisher.publish(pollId);
    }
    return toPoll(state, callerId, new Date());
  }

  /** Replaces the caller's vote with `optionIds` (exactly one unless multiple choice). */
  async vote(callerId: string, pollId: string, optionIds: string[]): Promise<Poll> {
    const { state } = await this.requireVisible(callerId, pollId, { voting: true });
    const known = new Set(state.options.map((option) => option.id));
    const unknown = optionIds.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new ProblemError(422, 'unknown-option', 'The poll has no such option.', {
        errors: [{ field: 'body.optionIds', message: `are not options of this poll: ${unknown.join(', ')}` }],
      });
    }
    if (!state.poll.multiple_choice && optionIds.length !== 1) {
      throw new ProblemError(422, 'single-choice', 'This poll takes exactly one option per vote.', {
        errors: [{ field: 'body.optionIds', message: 'must name exactly one option' }],
      });
    }
    return this.changeVote(callerId, pollId, optionIds);
  }

  /** Takes the caller's vote back; without one, changes nothing. */
  async retract(callerId: string, pollId: string): Promise<Poll> {
    await this.requireVisible(callerId, pollId, { voting: true });
    return this.changeVote(callerId, pollId, []);
  }

  /** The creator, or an owner or admin of the group; closing a closed poll changes nothing. */
  async close(callerId: string, pollId: string): Promise<Poll> {
    const { state, membership } = await this.requireVisible(callerId, pollId);
    const { conversation, member } = membership;
    const mayClose = state.poll.creator_id === callerId || (conversation.type === 'group' && isAdmin(member));
    if (!mayClose) throw forbidden('Only the creator of the poll or a group admin may close it.');
    await this.locked(pollId, async (trx, poll) => {
      if (closedAt(poll, new Date())) return;
      await trx
        .updateTable('polls')
        .set({ closed_at: new Date(), closed_by: callerId, version: sql<string>`version + 1` })
        .where('id', '=', pollId)
        .execute();
    });
    await this.publisher.publish(pollId);
    return this.view(pollId, callerId);
  }

  /** The message that posted the poll was deleted: the poll goes with it (404 from now on). */
  async messageDeleted(conversationId: string, pollId: string): Promise<void> {
    await this.deps.db
      .updateTable('polls')
      .set({ deleted_at: new Date() })
      .where('id', '=', pollId)
      .where('conversation_id', '=', conversationId)
      .where('deleted_at', 'is', null)
      .execute();
  }

  private async changeVote(callerId: string, pollId: string, optionIds: string[]): Promise<Poll> {
    const outcome = await this.locked(pollId, async (trx, poll): Promise<VoteOutcome> => {
      if (closedAt(poll, new Date()))
        throw conflict('poll-closed', 'The poll is closed; it takes no more votes.');
      const current = await trx
        .selectFrom('poll_votes')
        .select('option_id')
        .where('poll_id', '=', pollId)
        .where('user_id', '=', callerId)
        .execute();
      const before = new Set(current.map((row) => row.option_id));
      if (before.size === optionIds.length && optionIds.every((id) => before.has(id))) return 'unchanged';
      await trx
        .deleteFrom('poll_votes')
        .where('poll_id', '=', pollId)
        .where('user_id', '=', callerId)
        .execute();
      if (optionIds.length > 0) {
        const votedAt = new Date();
        await trx
          .insertInto('poll_votes')
          .values(
            optionIds.map((optionId) => ({
              poll_id: pollId,
              user_id: callerId,
              option_id: optionId,
              voted_at: votedAt,
            })),
          )
          .execute();
      }
      await trx
        .updateTable('polls')
        .set({ version: sql<string>`version + 1` })
        .where('id', '=', pollId)
        .execute();
      if (optionIds.length === 0) return 'retracted';
      return before.size === 0 ? 'cast' : 'changed';
    });
    if (outcome !== 'unchanged') this.deps.metrics.votesCastTotal.inc({ action: outcome });
    await this.publisher.publish(pollId);
    return this.view(pollId, callerId);
  }

  /** Runs `work` holding the poll's row lock, taken first: every change of a poll is serialized on it. */
  private locked<T>(pollId: string, work: (trx: Transaction<DB>, poll: PollRow) => Promise<T>): Promise<T> {
    return withReadCommitted(
      this.deps.db,
      async (trx) => {
        const poll = await trx
          .selectFrom('polls')
          .selectAll()
          .where('id', '=', pollId)
          .where('deleted_at', 'is', null)
          .forUpdate()
          .executeTakeFirst();
        if (!poll) throw noSuchPoll();
        return work(trx, poll);
      },
      { metrics: this.deps.metrics },
    );
  }

  /**
   * The poll, if the caller is a member of its conversation; otherwise the same 404 as a poll that
   * does not exist. Voting also needs no block between the two members of a direct conversation.
   */
  private async requireVisible(
    callerId: string,
    pollId: string,
    { voting = false }: { voting?: boolean } = {},
  ): Promise<{ state: PollState; membership: Membership }> {
    const state = await loadPollState(this.deps.db, pollId);
    if (!state) throw noSuchPoll();
    const check = voting ? requireUnblockedMembership : requireMembership;
    try {
      return { state, membership: await check(this.deps.db, state.poll.conversation_id, callerId) };
    } catch (error) {
      if (error instanceof ProblemError && error.status === 404) throw noSuchPoll();
      throw error;
    }
  }

  private async view(pollId: string, callerId: string): Promise<Poll> {
    const state = await loadPollState(this.deps.db, pollId);
    if (!state) throw noSuchPoll();
    return toPoll(state, callerId, new Date());
  }

  private parseClosesAt(value: string | null | undefined): Date | null {
    if (value === undefined || value === null) return null;
    const closesAt = new Date(value);
    const now = Date.now();
    const latest = now + POLL_MAX_DURATION_DAYS * 24 * 3600 * 1000;
    if (closesAt.getTime() <= now || closesAt.getTime() > latest) {
      throw new ProblemError(422, 'invalid-closes-at', 'closesAt must lie in the future, within a year.', {
        errors: [
          { field: 'body.closesAt', message: `must be after now and within ${POLL_MAX_DURATION_DAYS} days` },
        ],
      });
    }
    return closesAt;
  }

  private async nameMessage(pollId: string, messageId: string): Promise<void> {
    await this.deps.db
      .updateTable('polls')
      .set({ message_id: messageId })
      .where('id', '=', pollId)
      .where('message_id', 'is', null)
      .execute();
  }

  /** A poll whose message was never posted: nobody can reach it, so it goes. */
  private async discard(pollId: string): Promise<void> {
    await this.deps.db
      .deleteFrom('polls')
      .where('id', '=', pollId)
      .execute()
      .catch((error) => this.deps.logger.warn({ err: error, pollId }, 'an unposted poll was not removed'));
  }
}
