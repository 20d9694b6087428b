import type { Kysely } from 'kysely';
import type { DB } from '../db/schema';
import { notFound } from '../errors/problem';
import type { NotificationPreferences, RegisterDevice, UpdateNotificationPreferences } from './api-schemas';

const DEFAULTS: NotificationPreferences = { pushEnabled: true, previews: true, quietHours: null };

/** Devices that receive push, and what a user wants pushed (SPEC §5 push-*, notification-preferences). */
export class PushService {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Registers the device for the caller. Idempotent: the same token again is the same device. A
   * token is one device's, so one registered by another user (the app was reinstalled, or the
   * phone changed hands) moves to the caller and stops notifying the previous user.
   */
  async register(callerId: string, { platform, token }: RegisterDevice) {
    const row = await this.db
      .insertInto('push_devices')
      .values({ user_id: callerId, platform, token })
      .onConflict((oc) =>
        oc.columns(['platform', 'token']).doUpdateSet({ user_id: callerId, registered_at: new Date() }),
      )
      .returning(['id', 'platform', 'created_at'])
      .executeTakeFirstOrThrow();
    return { id: row.id, platform: row.platform, createdAt: new Date(row.created_at).toISOString() };
  }

  /** The caller's own device only; anyone else's is the same 404 as a missing one. */
  async unregister(callerId: string, deviceId: string): Promise<void> {
    const removed = await this.db
      .deleteFrom('push_devices')
      .where('id', '=', deviceId)
      .where('user_id', '=', callerId)
      .executeTakeFirst();
    if (removed.numDeletedRows === 0n) throw notFound('No such device.');
  }

  async preferences(userId: string): Promise<NotificationPreferences> {
    const row = await this.db
      .selectFrom('notification_preferences')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) return DEFAULTS;
    return {
      pushEnabled: row.push_enabled,
      previews: row.previews,
      quietHours:
        row.quiet_start && row.quiet_end && row.time_zone
          ? { start: row.quiet_start, end: row.quiet_end, timeZone: row.time_zone }
          : null,
    };
  }

  async updatePreferences(
    userId: string,
    change: UpdateNotificationPreferences,
  ): Promise<NotificationPreferences> {
    const next = { ...(await this.preferences(userId)), ...withoutUndefined(change) };
    const row = {
      push_enabled: next.pushEnabled,
      previews: next.previews,
      quiet_start: next.quietHours?.start ?? null,
      quiet_end: next.quietHours?.end ?? null,
      time_zone: next.quietHours?.timeZone ?? null,
      updated_at: new Date(),
    };
    await this.db
      .insertInto('notification_preferences')
      .values({ user_id: userId, ...row })
      .onConflict((oc) => oc.column('user_id').doUpdateSet(row))
      .execute();
    return next;
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
