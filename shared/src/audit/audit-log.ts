import type { Kysely } from 'kysely';
import type { AuditLogRow, DB } from '../db/schema';
import type { Logger } from '../observability/logger';

/** Security events kept for admins (SPEC §5 admin-audit-log, §8 account protection). */
export const AUDIT_EVENTS = [
  'user.registered',
  'login.succeeded',
  'login.failed',
  'login.locked',
  'account.locked',
  'session.revoked',
  'refresh-token.reused',
  'email.verified',
  'password.reset-requested',
  'password.reset',
  'password.changed',
  'user.deleted',
  'user.blocked',
  'user.unblocked',
  'user.banned',
  'user.unbanned',
  'user.role-granted',
  'user.role-revoked',
] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];

export interface AuditEntry {
  event: AuditEvent;
  actorId?: string | null;
  subjectId?: string | null;
  ip?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown>;
}

/**
 * Append-only record of security events in SQL. Every entry is also logged, so an operator
 * tailing logs sees lockouts and token reuse as they happen.
 */
export class AuditLog {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly logger: Logger,
  ) {}

  /** `origin` carries the request's IP and id, which every entry made during a request shares. */
  async record(
    entry: AuditEntry,
    origin: { ip?: string | null; requestId?: string | null } = {},
    executor: Kysely<DB> = this.db,
  ): Promise<void> {
    const { ip = origin.ip, requestId = origin.requestId } = entry;
    await executor
      .insertInto('audit_log')
      .values({
        event: entry.event,
        actor_id: entry.actorId ?? null,
        subject_id: entry.subjectId ?? null,
        ip: ip ?? null,
        request_id: requestId ?? null,
        details: JSON.stringify(entry.details ?? {}),
      })
      .execute();
    this.logger.info({ audit: { ...entry, ip, requestId } }, `audit: ${entry.event}`);
  }

  /** Newest first; `before` is the `occurred_at` cursor of the previous page. */
  async list(options: {
    limit: number;
    before?: Date;
    subjectId?: string;
    event?: AuditEvent;
  }): Promise<AuditLogRow[]> {
    let query = this.db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc');
    if (options.before) query = query.where('occurred_at', '<', options.before);
    if (options.subjectId) query = query.where('subject_id', '=', options.subjectId);
    if (options.event) query = query.where('event', '=', options.event);
    return query.limit(options.limit).execute();
  }
}
