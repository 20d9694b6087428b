import type { Kysely } from 'kysely';
import type { DB } from '../db/schema';

/**
 * Who belongs to which conversation: the one question the gateway and every conversation
 * operation ask before anything else.
 */
export interface MembershipDirectory {
  conversationIdsOf(userId: string): Promise<string[]>;
  isMember(conversationId: string, userId: string): Promise<boolean>;
  memberIds(conversationId: string): Promise<string[]>;
}

export class SqlMembershipDirectory implements MembershipDirectory {
  constructor(private readonly db: Kysely<DB>) {}

  async conversationIdsOf(userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('conversation_members')
      .select('conversation_id')
      .where('user_id', '=', userId)
      .execute();
    return rows.map((row) => row.conversation_id);
  }

  async isMember(conversationId: string, userId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('conversation_members')
      .select('user_id')
      .where('conversation_id', '=', conversationId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async memberIds(conversationId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('conversation_members')
      .select('user_id')
      .where('conversation_id', '=', conversationId)
      .execute();
    return rows.map((row) => row.user_id);
  }
}
