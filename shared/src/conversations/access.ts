import { type Kysely, sql } from 'kysely';
import { noBlockBetween } from '../accounts/blocks';
import { queryTemplate } from '../db/query-template';
import type { ConversationRow, DB, MemberRow } from '../db/schema';
import { forbidden, notFound } from '../errors/problem';

export interface Membership {
  conversation: ConversationRow;
  member: MemberRow;
}

/** The caller's membership row joined to its conversation. */
function membershipQuery(db: Kysely<DB>, conversationId: string, userId: string) {
  return db
    .selectFrom('conversations')
    .innerJoin('conversation_members', 'conversation_members.conversation_id', 'conversations.id')
    .selectAll('conversations')
    .select([
      'conversation_members.user_id',
      'conversation_members.role',
      'conversation_members.joined_at',
      'conversation_members.read_seq',
      'conversation_members.muted_until',
    ])
    .where('conversations.id', '=', conversationId)
    .where('conversation_members.user_id', '=', userId);
}

function toMembership(
  conversationId: string,
  row: ConversationRow & Omit<MemberRow, 'conversation_id'>,
): Membership {
  const { user_id, role, joined_at, read_seq, muted_until, ...conversation } = row;
  return {
    conversation,
    member: { conversation_id: conversationId, user_id, role, joined_at, read_seq, muted_until },
  };
}

const membershipRow = queryTemplate((db: Kysely<DB>, p: { conversationId: string; userId: string }) =>
  membershipQuery(db, p.conversationId, p.userId),
);

/** {@link membershipRow} and whether, in a direct conversation, a block stands between the two members. */
const unblockedMembershipRow = queryTemplate(
  (db: Kysely<DB>, p: { conversationId: string; userId: string }) =>
    membershipQuery(db, p.conversationId, p.userId).select((eb) =>
      eb
        .and([
          eb('conversations.type', '=', 'direct'),
          eb.exists(
            eb
              .selectFrom('conversation_members as other')
              .select('other.user_id')
              .whereRef('other.conversation_id', '=', 'conversations.id')
              .where('other.user_id', '!=', p.userId)
              .where(sql<boolean>`not ${noBlockBetween('other.user_id', p.userId)}`),
          ),
        ])
        .as('blocked'),
    ),
);

/** Every conversation operation starts here: a non-member learns nothing, not even existence. */
export async function requireMembership(
  db: Kysely<DB>,
  conversationId: string,
  userId: string,
): Promise<Membership> {
  const [row] = await membershipRow.execute(db, { conversationId, userId });
  if (!row) throw notFound('No such conversation.');
  return toMembership(conversationId, row);
}

/**
 * {@link requireMembership} for sending, editing and reacting: in a direct conversation a block in
 * either direction stops messages both ways. The block is checked in the same query.
 */
export async function requireUnblockedMembership(
  db: Kysely<DB>,
  conversationId: string,
  userId: string,
): Promise<Membership> {
  const [row] = await unblockedMembershipRow.execute(db, { conversationId, userId });
  if (!row) throw notFound('No such conversation.');
  const { blocked, ...membership } = row;
  if (blocked) throw forbidden('Messages cannot be exchanged with this user.');
  return toMembership(conversationId, membership);
}

export const isAdmin = (member: MemberRow) => member.role === 'owner' || member.role === 'admin';

/** Group administration; direct conversations have no admins, so both members may manage them. */
export function requireAdmin({ conversation, member }: Membership): void {
  if (conversation.type === 'group' && !isAdmin(member)) {
    throw forbidden('Only the owner or an admin of this group may do that.');
  }
}
