import { AiSettingsSchema, UpdateAiSettingsSchema } from '@secureconnect/shared/ai/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'ai-settings-update',
  method: 'PATCH',
  path: '/v1/users/me/ai-settings',
  auth: 'user',
  summary: 'Opt in to AI helpers, or out',
  description:
    "`{enabled}`. Opting out takes effect at once: the user's messages and name are left out of every later request, theirs or anyone's.",
  tags: ['ai'],
  uses: ['sql', 'kv'],
  request: { body: UpdateAiSettingsSchema },
  response: { status: 200, schema: AiSettingsSchema, description: 'The opt-in now' },
  handle: async ({ body }, { platform, auth }) => (await platform.ai()).updateSettings(auth.userId, body),
});
