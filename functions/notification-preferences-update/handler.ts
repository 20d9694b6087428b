import { defineFunction } from '@secureconnect/shared/http/define-function';
import {
  NotificationPreferencesSchema,
  UpdateNotificationPreferencesSchema,
} from '@secureconnect/shared/push/api-schemas';

export default defineFunction({
  name: 'notification-preferences-update',
  method: 'PATCH',
  path: '/v1/users/me/notification-preferences',
  auth: 'user',
  summary: 'Change notification preferences',
  description: 'Any of `pushEnabled`, `previews`, `quietHours` (`{start, end, timeZone}`, or null for none).',
  tags: ['push'],
  uses: ['sql', 'kv'],
  request: { body: UpdateNotificationPreferencesSchema },
  response: { status: 200, schema: NotificationPreferencesSchema, description: 'The preferences now' },
  handle: async ({ body }, { platform, auth }) =>
    (await platform.pushService()).updatePreferences(auth.userId, body),
});
