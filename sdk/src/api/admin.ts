import type { HttpTransport } from '../http';
import type {
  AdminStats,
  AdminUser,
  AdminUsersQuery,
  AuditEntry,
  AuditLogQuery,
  BanInput,
  Page,
} from '../types';

/** Administration (`admin-*`): every call needs an account with the admin role (403 otherwise). */
export class AdminApi {
  constructor(private readonly http: HttpTransport) {}

  /** Newest account first; `q` matches an email prefix or a part of the display name. */
  users(query: AdminUsersQuery = {}): Promise<Page<AdminUser>> {
    return this.http.call('admin-users', { query });
  }

  /** Ends every session of the user at once; their logins answer 403 `account-banned` until {@link unban}. */
  ban(userId: string, input: BanInput = {}): Promise<AdminUser> {
    return this.http.call('admin-users-ban', { params: { userId }, body: input });
  }

  unban(userId: string): Promise<AdminUser> {
    return this.http.call('admin-users-unban', { params: { userId } });
  }

  /** Security events, newest first; filter by `userId`, `event` and a `from`/`to` range (ISO date-times). */
  auditLog(query: AuditLogQuery = {}): Promise<Page<AuditEntry>> {
    return this.http.call('admin-audit-log', { query });
  }

  stats(): Promise<AdminStats> {
    return this.http.call('admin-stats');
  }
}
