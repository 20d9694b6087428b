import type { Kysely } from 'kysely';
import type { ConversationRow, DB, MemberRow } from '../db/schema';
import { forbidden, notFound } from '../http/problem';

export interface Membership {
  conversation: ConversationRow;
  member: MemberRow;
}

/** Every conversation operation starts here: a non-member learns nothing, not even existence. */
export async function requireMembership(
  db: Kysely<DB>,
  conversationId: string,
  userId: string,
): Promise<Membership> {
  const row = await db
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
    .where('conversation_members.user_id', '=', userId)
    .executeTakeFirst();
  if (!row) throw notFound('No such conversation.');
  const { user_id, role, joined_at, read_seq, muted_until, ...conversation } = row;
  return {
    conversation,
    member: { conversation_id: conversationId, user_id, role, joined_at, read_seq, muted_until },
  };
}

export const isAdmin = (member: MemberRow) => member.role === 'owner' || member.role === 'admin';

/** Group administration; direct conversations have no admins, so both members may manage them. */
export function requireAdmin({ conversation, member }: Membership): void {
  if (conversation.type === 'group' && !isAdmin(member)) {
    throw forbidden('Only the owner or an admin of this group may do that.');
  }
}
