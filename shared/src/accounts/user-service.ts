import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log';
import { afterCursor, decodeTimeCursor, encodeCursor, exactTime } from '../db/cursor';
import type { DB } from '../db/schema';
import { badRequest, notFound, unauthorized } from '../errors/problem';
import type { RequestMeta } from './account-service';
import type { BlockedUser, PublicUser, User } from './api-schemas';
import { noBlockBetween } from './blocks';
import type { SessionService } from './session-service';
import { toPublicUser, toUser } from './user-views';

export interface UserServiceDeps {
  db: Kysely<DB>;
  sessions: SessionService;
  audit: AuditLog;
  /** The drive's check that a file may be this user's avatar (the drive sits above accounts). */
  files: { requireAvatar(ownerId: string, fileId: string, field: string): Promise<void> };
}

/** Profiles, lookup and blocking (SPEC §5 users-*). */
export class UserService {
  constructor(private readonly deps: UserServiceDeps) {}

  async me(userId: string): Promise<User> {
    const row = await this.deps.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', userId)
      .where('status', '!=', 'deleted')
      .executeTakeFirst();
    if (!row) throw unauthorized('The session has ended; log in again.');
    return toUser(row);
  }

  async updateMe(
    userId: string,
    changes: { displayName?: string; avatarFileId?: string | null },
  ): Promise<User> {
    if (changes.avatarFileId) {
      await this.deps.files.requireAvatar(userId, changes.avatarFileId, 'body.avatarFileId');
    }
    const row = await this.deps.db
      .updateTable('users')
      .set({
        ...(changes.displayName !== undefined ? { display_name: changes.displayName } : {}),
        ...(changes.avatarFileId !== undefined ? { avatar_file_id: changes.avatarFileId } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', userId)
      .where('status', '=', 'active')
      .returningAll()
      .executeTakeFirst();
    if (!row) throw unauthorized('The session has ended; log in again.');
    return toUser(row);
  }

  /** Exact email match only; users who blocked the caller, or whom the caller blocked, are not found. */
  async lookup(callerId: string, email: string): Promise<PublicUser> {
    const { db } = this.deps;
    const row = await db
      .selectFrom('users')
      .select(['id', 'display_name', 'avatar_file_id'])
      .where('email', '=', email)
      .where('status', '=', 'active')
      .where(noBlockBetween('users.id', callerId))
      .executeTakeFirst();
    if (!row) throw notFound('No user with that email.');
    return toPublicUser(row);
  }

  async block(callerId: string, targetId: string, meta: RequestMeta): Promise<void> {
    if (callerId === targetId) {
      throw badRequest('You cannot block yourself.', [{ field: 'param.userId', message: 'is your own id' }]);
    }
    const { db } = this.deps;
    const target = await db
      .selectFrom('users')
      .select('id')
      .where('id', '=', targetId)
      .where('status', '!=', 'deleted')
      .executeTakeFirst();
    if (!target) throw notFound('No such user.');
    const inserted = await db
      .insertInto('user_blocks')
      .values({ blocker_id: callerId, blocked_id: targetId, created_at: new Date() })
      .onConflict((oc) => oc.columns(['blocker_id', 'blocked_id']).doNothing())
      .returning('blocked_id')
      .executeTakeFirst();
    if (inserted) {
      await this.deps.audit.record(
        {
          event: 'user.blocked',
          actorId: callerId,
          subjectId: targetId,
        },
        meta,
      );
    }
  }

  /** Idempotent: unblocking someone not blocked succeeds. */
  async unblock(callerId: string, targetId: string, meta: RequestMeta): Promise<void> {
    const removed = await this.deps.db
      .deleteFrom('user_blocks')
      .where('blocker_id', '=', callerId)
      .where('blocked_id', '=', targetId)
      .returning('blocked_id')
      .executeTakeFirst();
    if (removed) {
      await this.deps.audit.record(
        {
          event: 'user.unblocked',
          actorId: callerId,
          subjectId: targetId,
        },
        meta,
      );
    }
  }

  /** Newest block first, keyset-paginated on (created_at, blocked_id). */
  async listBlocked(
    callerId: string,
    page: { cursor?: string; limit: number },
  ): Promise<{ items: BlockedUser[]; nextCursor: string | null }> {
    let query = this.deps.db
      .selectFrom('user_blocks')
      .innerJoin('users', 'users.id', 'user_blocks.blocked_id')
      .select(['users.id', 'users.display_name', 'users.avatar_file_id', 'user_blocks.created_at'])
      .select(exactTime('user_blocks.created_at').as('position'))
      .where('user_blocks.blocker_id', '=', callerId)
      .orderBy('user_blocks.created_at', 'desc')
      .orderBy('user_blocks.blocked_id', 'desc')
      .limit(page.limit + 1);
    if (page.cursor) {
      query = query.where(
        afterCursor('user_blocks.created_at', 'user_blocks.blocked_id', decodeTimeCursor(page.cursor)),
      );
    }
    const rows = await query.execute();
    const items = rows.slice(0, page.limit).map((row) => ({
      user: toPublicUser(row),
      blockedAt: new Date(row.created_at).toISOString(),
    }));
    const last = rows.length > page.limit ? rows[page.limit - 1] : undefined;
    return {
      items,
      nextCursor: last ? encodeCursor({ at: last.position, id: last.id }) : null,
    };
  }
}
