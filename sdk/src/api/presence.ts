import type { HttpTransport } from '../http';
import type { PresenceQuery, PresenceStatus } from '../types';

/** Who is online (`presence-get`). */
export class PresenceApi {
  constructor(private readonly http: HttpTransport) {}

  /** Statuses of up to 100 users; users who share no conversation with the caller are left out. */
  get(userIds: PresenceQuery['userIds']): Promise<{ items: { userId: string; status: PresenceStatus }[] }> {
    return this.http.call('presence-get', { query: { userIds } });
  }
}
