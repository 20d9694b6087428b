import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import * as v from 'valibot';
import type { RequestMeta } from '../accounts/account-service';
import { UuidSchema } from '../accounts/api-schemas';
import type { SessionService } from '../accounts/session-service';
import type { AuditLog } from '../audit/audit-log';
import type { Config } from '../config/env';
import { decodeCursor, encodeCursor } from '../db/cursor';
import type { DB, UserRole } from '../db/schema';
import { badRequest, conflict, notFound } from '../errors/problem';
import type { AdminUser, AuditEntry, AuditFilter, Ban, Stats, UserFilter } from './api-schemas';

export interface AdminServiceDeps {
  db: Kysely<DB>;
  sessions: SessionService;
  audit: AuditLog;
  /** A gateway's heartbeat row counts for two ping intervals. */
  config: Pick<Config, 'REALTIME_PING_INTERVAL_MS'>;
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const STATS_DAYS = 30;

/** `%`, `_` and the escape character itself match only themselves (backslash is the default escape). */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, '\\$&');

/** Counts and sums come back as strings (bigint, numeric), or null when nothing was summed. */
const toNumber = (value: string | null | undefined) => Number(value ?? 0);

/**
 * A cursor names the last row of its page; the next page starts after that row's (time, id),
 * read from the row itself so timestamps keep the microseconds a JavaScript Date would drop.
 */
function cursorRow(cursor: string): string {
  const { id } = decodeCursor(cursor, ['id'] as const);
  if (!v.is(UuidSchema, id)) {
    throw badRequest('The cursor is invalid.', [
      { field: 'query.cursor', message: 'is not a cursor this API issued' },
    ]);
  }
  return id;
}

const userColumns = (eb: ExpressionBuilder<DB, 'users'>) =>
  [
    'users.id',
    'users.email',
    'users.display_name',
    'users.role',
    'users.status',
    'users.email_verified_at',
    'users.created_at',
    eb
      .selectFrom('sessions')
      .select((sessions) => sessions.fn.max('sessions.last_used_at').as('last_used_at'))
      .whereRef('sessions.user_id', '=', 'users.id')
      .as('last_active_at'),
  ] as const;

type UserViewRow = {
  id: string;
  email: string | null;
  display_name: string;
  role: UserRole;
  status: AdminUser['status'];
  email_verified_at: Date | null;
  created_at: Date;
  last_active_at: Date | null;
};

const toAdminUser = (row: UserViewRow): AdminUser => ({
  id: row.id,
  email: row.email,
  displayName: row.display_name,
  role: row.role,
  status: row.status,
  emailVerified: row.email_verified_at !== null,
  createdAt: new Date(row.created_at).toISOString(),
  lastActiveAt: row.last_active_at === null ? null : new Date(row.last_active_at).toISOString(),
});

/** `YYYY-MM-DD` of the UTC day `daysAgo` days before today. */
const utcDay = (daysAgo: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - daysAgo))
    .toISOString()
    .slice(0, 10);
};

/**
 * What administrators do (SPEC §5 admin-*): find users, ban and unban them, read the audit log and
 * the deployment's statistics; and what the operator's `npm run admin` does: grant and revoke
 * the admin role. Authorization (the `admin` role) is the app factory's; the rules about whom an
 * admin may ban are here.
 */
export class AdminService {
  constructor(private readonly deps: AdminServiceDeps) {}

  /** Newest account first; `q` matches an email prefix or a part of the display name, any case. */
  async listUsers(query: UserFilter & { cursor?: string; limit: number }): Promise<Page<AdminUser>> {
    let select = this.deps.db
      .selectFrom('users')
      .select(userColumns)
      .orderBy('users.created_at', 'desc')
      .orderBy('users.id', 'desc')
      .limit(query.limit + 1);
    if (query.q) {
      const pattern = escapeLike(query.q);
      select = select.where((eb) =>
        eb.or([eb('users.email', 'ilike', `${pattern}%`), eb('users.display_name', 'ilike', `%${pattern}%`)]),
      );
    }
    if (query.status) select = select.where('users.status', '=', query.status);
    if (query.role) select = select.where('users.role', '=', query.role);
    if (query.cursor) {
      const id = cursorRow(query.cursor);
      select = select.where((eb) => {
        const position = eb.selectFrom('users as last').select('last.created_at').where('last.id', '=', id);
        return eb.or([
          eb('users.created_at', '<', position),
          eb.and([eb('users.created_at', '=', position), eb('users.id', '<', id)]),
        ]);
      });
    }
    return page(await select.execute(), query.limit, toAdminUser);
  }

  /**
   * Bans a user: status `banned`, every session revoked — which closes their sockets on every
   * gateway (4401) and makes every process refuse their tokens at once — and audited. Admins
   * cannot be banned (revoke the role first), nor can an admin ban themself; banning a banned
   * user changes nothing.
   */
  async ban(adminId: string, userId: string, ban: Ban, meta: RequestMeta): Promise<AdminUser> {
    if (adminId === userId) throw conflict('cannot-ban-self', 'An admin cannot ban themself.');
    const { db, sessions, audit } = this.deps;
    const banned = await db
      .updateTable('users')
      .set({ status: 'banned', updated_at: new Date() })
      .where('id', '=', userId)
      .where('status', '=', 'active')
      .where('role', '=', 'user')
      .returning('id')
      .executeTakeFirst();
    if (!banned) {
      const user = await this.requireUser(userId);
      if (user.role === 'admin')
        throw conflict('cannot-ban-admin', 'Admins cannot be banned; revoke their admin role first.');
      return user;
    }
    // After the status: a login that opened a session before it is revoked here with the others.
    const revoked = await sessions.revokeAll(userId, 'banned');
    await audit.record(
      {
        event: 'user.banned',
        actorId: adminId,
        subjectId: userId,
        details: { ...(ban.reason ? { reason: ban.reason } : {}), sessionsRevoked: revoked },
      },
      meta,
    );
    return this.requireUser(userId);
  }

  /** Lifts a ban; the user logs in again (a ban ended every session). Unbanning an active user changes nothing. */
  async unban(adminId: string, userId: string, meta: RequestMeta): Promise<AdminUser> {
    const unbanned = await this.deps.db
      .updateTable('users')
      .set({ status: 'active', updated_at: new Date() })
      .where('id', '=', userId)
      .where('status', '=', 'banned')
      .returning('id')
      .executeTakeFirst();
    if (unbanned) {
      await this.deps.audit.record({ event: 'user.unbanned', actorId: adminId, subjectId: userId }, meta);
    }
    return this.requireUser(userId);
  }

  /**
   * The operator's grant or revocation of the admin role, by email. The user's sessions end, so
   * the role their tokens carry (trusted until the token expires) cannot outlive the change.
   */
  async setRole(email: string, role: UserRole, via: string): Promise<{ user: AdminUser; changed: boolean }> {
    const { db, sessions, audit } = this.deps;
    const user = await db
      .selectFrom('users')
      .select(['id', 'role'])
      .where('email', '=', email)
      .where('status', '!=', 'deleted')
      .executeTakeFirst();
    if (!user) throw notFound(`No account has the email ${email}.`);
    if (user.role === role) return { user: await this.requireUser(user.id), changed: false };
    await db.updateTable('users').set({ role, updated_at: new Date() }).where('id', '=', user.id).execute();
    const revoked = await sessions.revokeAll(user.id, role === 'admin' ? 'role-granted' : 'role-revoked');
    await audit.record({
      event: role === 'admin' ? 'user.role-granted' : 'user.role-revoked',
      actorId: null,
      subjectId: user.id,
      details: { via, sessionsRevoked: revoked },
    });
    return { user: await this.requireUser(user.id), changed: true };
  }

  /** Newest first; `userId` matches events the user caused and events about them. */
  async auditLog(query: AuditFilter & { cursor?: string; limit: number }): Promise<Page<AuditEntry>> {
    const from = query.from === undefined ? undefined : new Date(query.from);
    const to = query.to === undefined ? undefined : new Date(query.to);
    if (from && to && from > to) {
      throw badRequest('The range ends before it starts.', [
        { field: 'query.to', message: 'is before from' },
      ]);
    }
    const { userId } = query;
    let select = this.deps.db
      .selectFrom('audit_log')
      .selectAll('audit_log')
      .orderBy('audit_log.occurred_at', 'desc')
      .orderBy('audit_log.id', 'desc')
      .limit(query.limit + 1);
    if (userId) {
      select = select.where((eb) =>
        eb.or([eb('audit_log.actor_id', '=', userId), eb('audit_log.subject_id', '=', userId)]),
      );
    }
    if (query.event) select = select.where('audit_log.event', '=', query.event);
    if (from) select = select.where('audit_log.occurred_at', '>=', from);
    // Shown to the millisecond, stored to the microsecond: `to` covers its whole millisecond, so
    // an entry's own occurredAt includes it.
    if (to) select = select.where('audit_log.occurred_at', '<', new Date(to.getTime() + 1));
    if (query.cursor) {
      const id = cursorRow(query.cursor);
      select = select.where((eb) => {
        const position = eb
          .selectFrom('audit_log as last')
          .select('last.occurred_at')
          .where('last.id', '=', id);
        return eb.or([
          eb('audit_log.occurred_at', '<', position),
          eb.and([eb('audit_log.occurred_at', '=', position), eb('audit_log.id', '<', id)]),
        ]);
      });
    }
    return page(await select.execute(), query.limit, (row) => ({
      id: row.id,
      occurredAt: new Date(row.occurred_at).toISOString(),
      event: row.event as AuditEntry['event'],
      actorId: row.actor_id,
      subjectId: row.subject_id,
      ip: row.ip,
      requestId: row.request_id,
      details: row.details,
    }));
  }

  /** Counts over the whole deployment; every figure is one aggregate query. */
  async stats(): Promise<Stats> {
    const { db, config } = this.deps;
    const heartbeatSince = new Date(Date.now() - 2 * config.REALTIME_PING_INTERVAL_MS);
    const calendar = Array.from({ length: STATS_DAYS }, (_, index) => utcDay(STATS_DAYS - 1 - index));
    const [users, conversations, days, sockets, usage, files] = await Promise.all([
      db
        .selectFrom('users')
        .select((eb) => ['status', eb.fn.countAll<string>().as('count')])
        .groupBy('status')
        .execute(),
      db
        .selectFrom('conversations')
        .select((eb) => ['type', eb.fn.countAll<string>().as('count')])
        .groupBy('type')
        .execute(),
      db
        .selectFrom('message_daily_counts')
        // As text: drivers read a date column back as a Date at local midnight, or as text.
        .select((eb) => [sql<string>`cast(day as text)`.as('day'), eb.fn.sum<string>('count').as('count')])
        .where('day', '>=', utcDay(STATS_DAYS - 1))
        .groupBy('day')
        .execute(),
      db
        .selectFrom('gateway_heartbeats')
        .select((eb) => eb.fn.sum<string | null>('sockets').as('sockets'))
        .where('seen_at', '>', heartbeatSince)
        .executeTakeFirst(),
      db
        .selectFrom('drive_usage')
        .select((eb) => eb.fn.sum<string | null>('used_bytes').as('bytes'))
        .executeTakeFirst(),
      db
        .selectFrom('files')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('status', '=', 'ready')
        .executeTakeFirst(),
    ]);
    const byStatus = new Map(users.map((row) => [row.status, toNumber(row.count)]));
    const byType = new Map(conversations.map((row) => [row.type, toNumber(row.count)]));
    const byDay = new Map(days.map((row) => [row.day, toNumber(row.count)]));
    const sum = (values: Iterable<number>) => [...values].reduce((total, value) => total + value, 0);
    return {
      users: {
        total: sum(byStatus.values()),
        active: byStatus.get('active') ?? 0,
        banned: byStatus.get('banned') ?? 0,
        deleted: byStatus.get('deleted') ?? 0,
      },
      conversations: {
        total: sum(byType.values()),
        direct: byType.get('direct') ?? 0,
        group: byType.get('group') ?? 0,
      },
      messagesPerDay: calendar.map((day) => ({ day, count: byDay.get(day) ?? 0 })),
      activeSockets: toNumber(sockets?.sockets),
      storage: { usedBytes: toNumber(usage?.bytes), files: toNumber(files?.count) },
    };
  }

  /** A user as admins see them; 404 for an unknown or deleted account. */
  private async requireUser(userId: string): Promise<AdminUser> {
    const row = await this.deps.db
      .selectFrom('users')
      .select(userColumns)
      .where('users.id', '=', userId)
      .where('users.status', '!=', 'deleted')
      .executeTakeFirst();
    if (!row) throw notFound('No such user.');
    return toAdminUser(row);
  }
}

/** The first `limit` rows, and a cursor naming the last of them when more follow. */
function page<R extends { id: string }, T>(rows: R[], limit: number, view: (row: R) => T): Page<T> {
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return {
    items: rows.slice(0, limit).map(view),
    nextCursor: last ? encodeCursor({ id: last.id }) : null,
  };
}
