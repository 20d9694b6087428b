import * as v from 'valibot';
import { UuidSchema } from '../accounts/api-schemas';
import { AUDIT_EVENTS } from '../audit/audit-log';

const ROLES = ['user', 'admin'] as const;
const STATUSES = ['active', 'banned', 'deleted'] as const;

/** An ISO 8601 date-time with its offset, as `toISOString()` writes it. */
const DateTimeSchema = v.pipe(
  v.string('must be a string'),
  v.isoTimestamp('must be an ISO 8601 date-time with an offset, e.g. 2025-01-31T23:59:59Z'),
  v.check((value) => !Number.isNaN(Date.parse(value)), 'must be a real date-time'),
);

/** `admin-users` filters, besides `cursor` and `limit`. */
export const UserFilterSchema = v.object({
  /** An email prefix or a part of the display name, case-insensitive. */
  q: v.optional(
    v.pipe(
      v.string('must be a string'),
      v.trim(),
      v.nonEmpty('must not be blank'),
      v.maxLength(254, 'must be at most 254 characters'),
    ),
  ),
  status: v.optional(v.picklist(STATUSES, `must be one of ${STATUSES.join(', ')}`)),
  role: v.optional(v.picklist(ROLES, `must be one of ${ROLES.join(', ')}`)),
});
export type UserFilter = v.InferOutput<typeof UserFilterSchema>;

/** `admin-audit-log` filters, besides `cursor` and `limit`. */
export const AuditFilterSchema = v.object({
  /** Events this user caused or was the subject of. */
  userId: v.optional(UuidSchema),
  event: v.optional(v.picklist(AUDIT_EVENTS, 'must be an audit event type')),
  /** Inclusive bounds on when the event occurred. */
  from: v.optional(DateTimeSchema),
  to: v.optional(DateTimeSchema),
});
export type AuditFilter = v.InferOutput<typeof AuditFilterSchema>;

export const BanSchema = v.object({
  /** Kept in the audit log; never shown to the banned user. */
  reason: v.optional(
    v.pipe(v.string('must be a string'), v.trim(), v.maxLength(500, 'must be at most 500 characters')),
  ),
});
export type Ban = v.InferOutput<typeof BanSchema>;

/** An account as administrators see it. */
export const AdminUserSchema = v.object({
  id: v.string(),
  /** Null once the account is deleted (its personal data is erased). */
  email: v.nullable(v.string()),
  displayName: v.string(),
  role: v.picklist(ROLES),
  status: v.picklist(STATUSES),
  emailVerified: v.boolean(),
  createdAt: v.string(),
  /** When any of its sessions last logged in or refreshed; null if it never had one. */
  lastActiveAt: v.nullable(v.string()),
});
export type AdminUser = v.InferOutput<typeof AdminUserSchema>;

export const AuditEntrySchema = v.object({
  id: v.string(),
  occurredAt: v.string(),
  event: v.picklist(AUDIT_EVENTS),
  /** Who did it; null for the anonymous (a failed login) and for operator commands. */
  actorId: v.nullable(v.string()),
  /** Whose account it concerns. */
  subjectId: v.nullable(v.string()),
  ip: v.nullable(v.string()),
  requestId: v.nullable(v.string()),
  details: v.record(v.string(), v.unknown()),
});
export type AuditEntry = v.InferOutput<typeof AuditEntrySchema>;

export const StatsSchema = v.object({
  users: v.object({ total: v.number(), active: v.number(), banned: v.number(), deleted: v.number() }),
  conversations: v.object({ total: v.number(), direct: v.number(), group: v.number() }),
  /** The last 30 days (UTC), oldest first, today included; days without messages count 0. */
  messagesPerDay: v.array(v.object({ day: v.string(), count: v.number() })),
  /** Authenticated sockets on every gateway that reported within two heartbeats. */
  activeSockets: v.number(),
  storage: v.object({
    /** Bytes of completed files, over every user. */
    usedBytes: v.number(),
    /** Completed files. */
    files: v.number(),
  }),
});
export type Stats = v.InferOutput<typeof StatsSchema>;
