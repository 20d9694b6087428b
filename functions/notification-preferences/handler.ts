import { defineFunction } from '@secureconnect/shared/http/define-function';
import { NotificationPreferencesSchema } from '@secureconnect/shared/push/api-schemas';

export default defineFunction({
  name: 'notification-preferences',
  method: 'GET',
  path: '/v1/users/me/notification-preferences',
  auth: 'user',
  summary: "The caller's notification preferences",
  description:
    'Push on or off, message previews in notifications (never in E2EE conversations), and daily quiet hours in a time zone. Muting a conversation is per member (members-update `mutedUntil`).',
  tags: ['push'],
  uses: ['sql', 'kv'],
  request: {},
  response: { status: 200, schema: NotificationPreferencesSchema, description: 'The preferences' },
  handle: async (_input, { platform, auth }) => (await platform.pushService()).preferences(auth.userId),
});
