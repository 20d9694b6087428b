import { type Kysely, sql } from 'kysely';
import type { Config } from '../config/env';
import type { DB, MemberRole } from '../db/schema';
import { withTransaction } from '../db/transaction';
import { forbidden, notFound, ProblemError } from '../errors/problem';
import type { MessageStore } from '../messaging/message-store';
import { isAdmin, requireAdmin, requireMembership } from './access';
import type { UpdateMember } from './api-schemas';
import type { ConversationEvents } from './conversation-events';
import type { ConversationService } from './conversation-service';

export interface MemberServiceDeps {
  db: Kysely<DB>;
  messages: MessageStore;
  events: ConversationEvents;
  conversations: ConversationService;
  config: Pick<Config, 'GROUP_MAX_MEMBERS'>;
}

const groupOnly = () =>
  new ProblemError(422, 'direct-conversation', 'Direct conversations always have exactly their two members.');

/** Group membership and roles (SPEC §5 members-*). */
export class MemberService {
  constructor(private readonly deps: MemberServiceDeps) {}

  /** Admins add users; users already in the group are skipped. */
  async add(callerId: string, conversationId: string, userIds: string[]): Promise<{ added: string[] }> {
    const { db, config } = this.deps;
    const membership = await requireMembership(db, conversationId, callerId);
    if (membership.conversation.type !== 'group') throw groupOnly();
    requireAdmin(membership);
    const wanted = [...new Set(userIds)];
    await this.deps.conversations.assertActiveUsers(wanted, 'body.userIds');
    const added = await withTransaction(db, async (trx) => {
      const present = await trx
        .selectFrom('conversation_members')
        .select('user_id')
        .where('conversation_id', '=', conversationId)
        .execute();
      const existing = new Set(present.map((row) => row.user_id));
      const fresh = wanted.filter((id) => !existing.has(id));
      if (present.length + fresh.length > config.GROUP_MAX_MEMBERS) {
        throw new ProblemError(
          422,
          'group-too-large',
          `A group holds at most ${config.GROUP_MAX_MEMBERS} members.`,
        );
      }
      if (fresh.length > 0) {
        const joinedAt = new Date();
        await trx
          .insertInto('conversation_members')
          .values(
            fresh.map((userId) => ({
              conversation_id: conversationId,
              user_id: userId,
              role: 'member' as MemberRole,
              joined_at: joinedAt,
            })),
          )
          .execute();
      }
      return fresh;
    });
    if (added.length === 0) return { added };
    const event = await this.deps.messages.appendEvent({
      conversationId,
      type: 'member.added',
      actorId: callerId,
      data: { userIds: added, addedBy: callerId },
    });
    await this.deps.events.signal(added, { kind: 'membership', conversationId, action: 'added' });
    await this.deps.events.published(event);
    return { added };
  }

  /**
   * Admins remove members; anyone may leave. An owner who leaves hands ownership to the longest
   * serving admin, else the longest serving member, so a group is never left without an owner.
   */
  async remove(callerId: string, conversationId: string, userId: string): Promise<void> {
    const { db } = this.deps;
    const membership = await requireMembership(db, conversationId, callerId);
    if (membership.conversation.type !== 'group') throw groupOnly();
    if (userId !== callerId) requireAdmin(membership);
    await withTransaction(db, async (trx) => {
      const target = await trx
        .deleteFrom('conversation_members')
        .where('conversation_id', '=', conversationId)
        .where('user_id', '=', userId)
        .returning('role')
        .executeTakeFirst();
      if (!target) throw notFound('That user is not a member.');
      if (target.role === 'owner' && userId !== callerId && membership.member.role !== 'owner') {
        throw forbidden('Only an owner may remove an owner.');
      }
      if (target.role !== 'owner') return;
      const owners = await trx
        .selectFrom('conversation_members')
        .select(sql<string>`count(*)`.as('n'))
        .where('conversation_id', '=', conversationId)
        .where('role', '=', 'owner')
        .executeTakeFirstOrThrow();
      if (Number(owners.n) > 0) return;
      const heir = await trx
        .selectFrom('conversation_members')
        .select('user_id')
        .where('conversation_id', '=', conversationId)
        .orderBy(sql`case when role = 'admin' then 0 else 1 end`)
        .orderBy('joined_at')
        .orderBy('user_id')
        .limit(1)
        .executeTakeFirst();
      if (heir) {
        await trx
          .updateTable('conversation_members')
          .set({ role: 'owner' })
          .where('conversation_id', '=', conversationId)
          .where('user_id', '=', heir.user_id)
          .execute();
      }
    });
    const event = await this.deps.messages.appendEvent({
      conversationId,
      type: 'member.removed',
      actorId: callerId,
      data: { userId, removedBy: callerId, left: userId === callerId },
    });
    await this.deps.events.published(event);
    await this.deps.events.signal([userId], { kind: 'membership', conversationId, action: 'removed' });
  }

  /** Roles by admins (owners alone grant or take ownership); mute by the member themself. */
  async update(
    callerId: string,
    conversationId: string,
    userId: string,
    change: UpdateMember,
  ): Promise<{ userId: string; role: MemberRole; mutedUntil: string | null }> {
    const { db } = this.deps;
    const membership = await requireMembership(db, conversationId, callerId);
    const target = await db
      .selectFrom('conversation_members')
      .select(['role', 'muted_until'])
      .where('conversation_id', '=', conversationId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!target) throw notFound('That user is not a member.');

    if ('mutedUntil' in change) {
      if (userId !== callerId) throw forbidden('Members mute conversations for themselves only.');
      const mutedUntil = change.mutedUntil ? new Date(change.mutedUntil) : null;
      await db
        .updateTable('conversation_members')
        .set({ muted_until: mutedUntil })
        .where('conversation_id', '=', conversationId)
        .where('user_id', '=', userId)
        .execute();
      return { userId, role: target.role, mutedUntil: mutedUntil?.toISOString() ?? null };
    }

    if (membership.conversation.type !== 'group') throw groupOnly();
    if (!isAdmin(membership.member))
      throw forbidden('Only the owner or an admin of this group may change roles.');
    const touchesOwnership = change.role === 'owner' || target.role === 'owner';
    if (touchesOwnership && membership.member.role !== 'owner')
      throw forbidden('Only an owner may grant or take ownership.');
    if (target.role === 'owner' && change.role !== 'owner') {
      const owners = await db
        .selectFrom('conversation_members')
        .select(sql<string>`count(*)`.as('n'))
        .where('conversation_id', '=', conversationId)
        .where('role', '=', 'owner')
        .executeTakeFirstOrThrow();
      if (Number(owners.n) <= 1)
        throw new ProblemError(409, 'last-owner', 'A group needs an owner; make someone else owner first.');
    }
    await db
      .updateTable('conversation_members')
      .set({ role: change.role })
      .where('conversation_id', '=', conversationId)
      .where('user_id', '=', userId)
      .execute();
    if (change.role !== target.role) {
      const event = await this.deps.messages.appendEvent({
        conversationId,
        type: 'member.updated',
        actorId: callerId,
        data: { userId, role: change.role },
      });
      await this.deps.events.published(event);
    }
    return {
      userId,
      role: change.role,
      mutedUntil: target.muted_until ? new Date(target.muted_until).toISOString() : null,
    };
  }
}
