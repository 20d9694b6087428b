import { type Kysely, sql } from 'kysely';
import type { Config } from '../config/env';
import { afterCursor, decodeTimeCursor, encodeCursor, exactTime } from '../db/cursor';
import type { ConversationRow, DB, MemberRole } from '../db/schema';
import { isUniqueViolation, withTransaction } from '../db/transaction';
import { conflict, notFound, ProblemError } from '../errors/problem';
import type { MessageStore } from '../messaging/message-store';
import { requireAdmin, requireMembership } from './access';
import type {
  Conversation,
  ConversationDetail,
  CreateConversation,
  EventView,
  UpdateConversation,
} from './api-schemas';
import type { ConversationEvents } from './conversation-events';
import { toConversation, toEventView } from './views';

export interface ConversationServiceDeps {
  db: Kysely<DB>;
  messages: MessageStore;
  events: ConversationEvents;
  config: Pick<Config, 'GROUP_MAX_MEMBERS'>;
}

/** Unread counts above this read as "99+" in clients; counting further costs and tells nothing. */
export const UNREAD_CAP = 100;

const directKey = (a: string, b: string) => (a < b ? `${a}:${b}` : `${b}:${a}`);

/** Conversations: creation, lists, details, settings, read state and the event log (SPEC §5). */
export class ConversationService {
  constructor(private readonly deps: ConversationServiceDeps) {}

  /** Direct conversations are unique per pair: asking again returns the existing one (`created: false`). */
  async create(
    callerId: string,
    input: CreateConversation,
  ): Promise<{ conversation: ConversationDetail; created: boolean }> {
    return input.type === 'direct'
      ? this.createDirect(callerId, input.userId)
      : this.createGroup(callerId, input);
  }

  private async createDirect(callerId: string, userId: string) {
    const { db } = this.deps;
    if (userId === callerId) {
      throw new ProblemError(400, 'validation', 'A direct conversation needs another user.', {
        errors: [{ field: 'body.userId', message: 'is your own id' }],
      });
    }
    await this.assertCanContact(callerId, userId);
    const key = directKey(callerId, userId);
    const existing = await db
      .selectFrom('conversations')
      .select('id')
      .where('direct_key', '=', key)
      .executeTakeFirst();
    if (existing) return { conversation: await this.get(callerId, existing.id), created: false };
    try {
      const id = await withTransaction(db, async (trx) => {
        const conversation = await trx
          .insertInto('conversations')
          .values({ type: 'direct', direct_key: key, created_by: callerId, updated_at: new Date() })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('conversation_members')
          .values(
            [callerId, userId].map((memberId) => ({
              conversation_id: conversation.id,
              user_id: memberId,
              role: 'member' as const,
              joined_at: new Date(),
            })),
          )
          .execute();
        return conversation.id;
      });
      await this.deps.events.signal([callerId, userId], {
        kind: 'membership',
        conversationId: id,
        action: 'added',
      });
      return { conversation: await this.get(callerId, id), created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Both users opened it at once; the other request won.
      const winner = await db
        .selectFrom('conversations')
        .select('id')
        .where('direct_key', '=', key)
        .executeTakeFirstOrThrow();
      return { conversation: await this.get(callerId, winner.id), created: false };
    }
  }

  private async createGroup(callerId: string, input: Extract<CreateConversation, { type: 'group' }>) {
    const memberIds = [...new Set(input.memberIds.filter((id) => id !== callerId))];
    if (memberIds.length + 1 > this.deps.config.GROUP_MAX_MEMBERS) {
      throw new ProblemError(
        422,
        'group-too-large',
        `A group holds at most ${this.deps.config.GROUP_MAX_MEMBERS} members.`,
      );
    }
    await this.assertActiveUsers(memberIds, 'body.memberIds');
    const id = await withTransaction(this.deps.db, async (trx) => {
      const conversation = await trx
        .insertInto('conversations')
        .values({
          type: 'group',
          title: input.title,
          e2ee: input.e2ee,
          created_by: callerId,
          updated_at: new Date(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const joinedAt = new Date();
      await trx
        .insertInto('conversation_members')
        .values([
          {
            conversation_id: conversation.id,
            user_id: callerId,
            role: 'owner' as MemberRole,
            joined_at: joinedAt,
          },
          ...memberIds.map((userId) => ({
            conversation_id: conversation.id,
            user_id: userId,
            role: 'member' as MemberRole,
            joined_at: joinedAt,
          })),
        ])
        .execute();
      return conversation.id;
    });
    await this.deps.events.signal([callerId, ...memberIds], {
      kind: 'membership',
      conversationId: id,
      action: 'added',
    });
    return { conversation: await this.get(callerId, id), created: true };
  }

  /** A block in either direction forbids a direct conversation; the blocked side learns nothing. */
  async assertCanContact(callerId: string, userId: string): Promise<void> {
    const { db } = this.deps;
    const target = await db
      .selectFrom('users')
      .select('id')
      .where('id', '=', userId)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (!target) throw notFound('No such user.');
    const blocks = await db
      .selectFrom('user_blocks')
      .select(['blocker_id'])
      .where((eb) =>
        eb.or([
          eb.and([eb('blocker_id', '=', callerId), eb('blocked_id', '=', userId)]),
          eb.and([eb('blocker_id', '=', userId), eb('blocked_id', '=', callerId)]),
        ]),
      )
      .execute();
    if (blocks.some((block) => block.blocker_id === userId)) throw notFound('No such user.');
    if (blocks.length > 0) throw conflict('user-blocked', 'You blocked this user; unblock them first.');
  }

  async assertActiveUsers(userIds: string[], field: string): Promise<void> {
    if (userIds.length === 0) return;
    const found = await this.deps.db
      .selectFrom('users')
      .select('id')
      .where('id', 'in', userIds)
      .where('status', '=', 'active')
      .execute();
    const known = new Set(found.map((row) => row.id));
    const unknown = userIds.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new ProblemError(422, 'unknown-users', `No such user: ${unknown.join(', ')}.`, {
        errors: [{ field, message: `unknown user ids: ${unknown.join(', ')}` }],
      });
    }
  }

  /** The caller's conversations, most recently active first. */
  async list(
    callerId: string,
    page: { cursor?: string; limit: number },
  ): Promise<{ items: Conversation[]; nextCursor: string | null }> {
    let query = this.deps.db
      .selectFrom('conversation_members as me')
      .innerJoin('conversations', 'conversations.id', 'me.conversation_id')
      .selectAll('conversations')
      .select(['me.role', 'me.read_seq', 'me.muted_until'])
      .select(exactTime('conversations.updated_at').as('position'))
      .select((eb) =>
        eb
          .selectFrom('conversation_members as everyone')
          .select(sql<string>`count(*)`.as('n'))
          .whereRef('everyone.conversation_id', '=', 'conversations.id')
          .as('member_count'),
      )
      .where('me.user_id', '=', callerId)
      .orderBy('conversations.updated_at', 'desc')
      .orderBy('conversations.id', 'desc')
      .limit(page.limit + 1);
    if (page.cursor) {
      query = query.where(
        afterCursor('conversations.updated_at', 'conversations.id', decodeTimeCursor(page.cursor)),
      );
    }
    const rows = await query.execute();
    const pageRows = rows.slice(0, page.limit);
    const items = await Promise.all(
      pageRows.map(async (row) => {
        const { role, read_seq, muted_until, member_count, position: _position, ...conversation } = row;
        const unreadCount = await this.deps.messages.countMessagesAfter(
          row.id,
          Number(read_seq),
          callerId,
          UNREAD_CAP,
        );
        return toConversation(
          conversation,
          { role, read_seq, muted_until },
          { unreadCount, memberCount: Number(member_count) },
        );
      }),
    );
    const last = rows.length > page.limit ? pageRows[pageRows.length - 1] : undefined;
    return {
      items,
      nextCursor: last ? encodeCursor({ at: last.position, id: last.id }) : null,
    };
  }

  async get(callerId: string, conversationId: string): Promise<ConversationDetail> {
    const { conversation, member } = await requireMembership(this.deps.db, conversationId, callerId);
    return this.detail(conversation, member, callerId);
  }

  private async detail(
    conversation: ConversationRow,
    member: Parameters<typeof toConversation>[1],
    callerId: string,
  ): Promise<ConversationDetail> {
    const members = await this.deps.db
      .selectFrom('conversation_members')
      .innerJoin('users', 'users.id', 'conversation_members.user_id')
      .select([
        'users.id',
        'users.display_name',
        'conversation_members.role',
        'conversation_members.joined_at',
      ])
      .where('conversation_members.conversation_id', '=', conversation.id)
      .orderBy('conversation_members.joined_at')
      .orderBy(sql`case conversation_members.role when 'owner' then 0 when 'admin' then 1 else 2 end`)
      .orderBy('users.id')
      .execute();
    const unreadCount = await this.deps.messages.countMessagesAfter(
      conversation.id,
      Number(member.read_seq),
      callerId,
      UNREAD_CAP,
    );
    return {
      ...toConversation(conversation, member, { unreadCount, memberCount: members.length }),
      members: members.map((row) => ({
        userId: row.id,
        displayName: row.display_name,
        role: row.role,
        joinedAt: new Date(row.joined_at).toISOString(),
      })),
    };
  }

  /**
   * Settings, by admins (either member of a direct conversation). E2EE cannot be switched off
   * once on: that would let an admin silently downgrade everyone's privacy.
   */
  async update(
    callerId: string,
    conversationId: string,
    changes: UpdateConversation,
  ): Promise<ConversationDetail> {
    const membership = await requireMembership(this.deps.db, conversationId, callerId);
    requireAdmin(membership);
    const { conversation } = membership;
    if (changes.title !== undefined && conversation.type === 'direct') {
      throw new ProblemError(422, 'direct-has-no-title', 'Direct conversations have no title.');
    }
    if (changes.e2ee === false && conversation.e2ee) {
      throw conflict('e2ee-is-permanent', 'End-to-end encryption cannot be turned off once on.');
    }
    const updated = await this.deps.db
      .updateTable('conversations')
      .set({
        ...(changes.title !== undefined ? { title: changes.title } : {}),
        ...(changes.e2ee !== undefined ? { e2ee: changes.e2ee } : {}),
        ...(changes.aiEnabled !== undefined ? { ai_enabled: changes.aiEnabled } : {}),
        ...(changes.retentionDays !== undefined ? { retention_days: changes.retentionDays } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', conversationId)
      .returningAll()
      .executeTakeFirstOrThrow();
    const event = await this.deps.messages.appendEvent({
      conversationId,
      type: 'conversation.updated',
      actorId: callerId,
      data: {
        title: updated.title,
        e2ee: updated.e2ee,
        aiEnabled: updated.ai_enabled,
        retentionDays: updated.retention_days,
      },
    });
    await this.deps.events.published(event);
    return this.detail(
      { ...updated, last_seq: String(Math.max(Number(updated.last_seq), event.seq)) },
      membership.member,
      callerId,
    );
  }

  /** Moves the caller's read pointer forward (never back) and tells the other members. */
  async markRead(callerId: string, conversationId: string, seq: number): Promise<{ readSeq: number }> {
    const { member } = await requireMembership(this.deps.db, conversationId, callerId);
    const lastSeq = await this.deps.messages.lastSeq(conversationId);
    if (seq > lastSeq) {
      throw new ProblemError(
        422,
        'seq-ahead',
        `seq ${seq} is beyond the conversation's last seq ${lastSeq}.`,
        {
          errors: [{ field: 'body.seq', message: `must be at most ${lastSeq}` }],
        },
      );
    }
    if (seq <= Number(member.read_seq)) return { readSeq: Number(member.read_seq) };
    const moved = await this.deps.db
      .updateTable('conversation_members')
      .set({ read_seq: seq })
      .where('conversation_id', '=', conversationId)
      .where('user_id', '=', callerId)
      .where('read_seq', '<', String(seq))
      .returning('read_seq')
      .executeTakeFirst();
    if (!moved) return { readSeq: Number(member.read_seq) };
    const event = await this.deps.messages.appendEvent({
      conversationId,
      type: 'read',
      actorId: callerId,
      data: { userId: callerId, seq },
    });
    await this.deps.events.published(event);
    return { readSeq: seq };
  }

  /** The event log after `after`, for clients catching up from their last seen seq. */
  async events(
    callerId: string,
    conversationId: string,
    page: { after: number; limit: number },
  ): Promise<{ items: EventView[]; lastSeq: number }> {
    await requireMembership(this.deps.db, conversationId, callerId);
    const [events, lastSeq] = await Promise.all([
      this.deps.messages.eventsAfter(conversationId, page.after, page.limit),
      this.deps.messages.lastSeq(conversationId),
    ]);
    return { items: events.map(toEventView), lastSeq };
  }
}
