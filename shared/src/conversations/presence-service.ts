import type { Kysely } from 'kysely';
import type { DB } from '../db/schema';
import type { PresenceStatus, PresenceStore } from '../realtime/presence-store';

/** presence-get (SPEC §5): statuses of the users the caller shares a conversation with. */
export class PresenceService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly presence: PresenceStore,
  ) {}

  /** Users the caller shares no conversation with are left out: their presence is not the caller's business. */
  async get(
    callerId: string,
    userIds: string[],
  ): Promise<{ items: { userId: string; status: PresenceStatus }[] }> {
    const others = userIds.filter((id) => id !== callerId);
    const visible = new Set(userIds.includes(callerId) ? [callerId] : []);
    if (others.length > 0) {
      const rows = await this.db
        .selectFrom('conversation_members as mine')
        .innerJoin('conversation_members as theirs', 'theirs.conversation_id', 'mine.conversation_id')
        .select('theirs.user_id')
        .distinct()
        .where('mine.user_id', '=', callerId)
        .where('theirs.user_id', 'in', others)
        .execute();
      for (const row of rows) visible.add(row.user_id);
    }
    const allowed = userIds.filter((id) => visible.has(id));
    const statuses = allowed.length > 0 ? await this.presence.get(allowed) : {};
    return { items: allowed.map((userId) => ({ userId, status: statuses[userId] ?? 'offline' })) };
  }
}
