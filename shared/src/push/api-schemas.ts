import * as v from 'valibot';
import { UuidSchema } from '../accounts/api-schemas';

export const RegisterDeviceSchema = v.object({
  platform: v.picklist(['fcm', 'apns'], 'must be fcm or apns'),
  token: v.pipe(
    v.string('must be a string'),
    v.trim(),
    v.nonEmpty('is required'),
    v.maxLength(4096, 'must be at most 4096 characters'),
    v.regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
  ),
});
export type RegisterDevice = v.InferOutput<typeof RegisterDeviceSchema>;

export const DeviceParamsSchema = v.object({ deviceId: UuidSchema });

export const DeviceSchema = v.object({
  id: v.string(),
  platform: v.picklist(['fcm', 'apns']),
  createdAt: v.string(),
});

const LocalTime = v.pipe(
  v.string('must be a string'),
  v.regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:MM'),
);

export const QuietHoursSchema = v.object({
  /** Local time quiet hours begin, `HH:MM`; they may run past midnight (22:00–07:00). */
  start: LocalTime,
  end: LocalTime,
  /** An IANA time zone, e.g. `Europe/Berlin`. */
  timeZone: v.pipe(
    v.string('must be a string'),
    v.maxLength(64, 'must be at most 64 characters'),
    v.check((zone) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Europe/Berlin'),
  ),
});

export const NotificationPreferencesSchema = v.object({
  /** Push at all. */
  pushEnabled: v.boolean(),
  /** Show what a message says in its notification (never in E2EE conversations). */
  previews: v.boolean(),
  /** No push in this window, every day; null for none. */
  quietHours: v.nullable(QuietHoursSchema),
});
export type NotificationPreferences = v.InferOutput<typeof NotificationPreferencesSchema>;

export const UpdateNotificationPreferencesSchema = v.pipe(
  v.object({
    pushEnabled: v.optional(v.boolean('must be a boolean')),
    previews: v.optional(v.boolean('must be a boolean')),
    quietHours: v.optional(v.nullable(QuietHoursSchema)),
  }),
  v.check(
    (body) => Object.values(body).some((value) => value !== undefined),
    'must change at least one field',
  ),
);
export type UpdateNotificationPreferences = v.InferOutput<typeof UpdateNotificationPreferencesSchema>;

/** A dispatch job, as `push-dispatch` takes it (see push-queue.ts). */
export const PushJobSchema = v.variant('kind', [
  v.object({ kind: v.literal('message'), conversationId: UuidSchema, messageId: UuidSchema }),
  v.object({ kind: v.literal('call'), conversationId: UuidSchema, callId: UuidSchema }),
]);
