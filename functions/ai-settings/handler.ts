import { AiSettingsSchema } from '@secureconnect/shared/ai/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'ai-settings',
  method: 'GET',
  path: '/v1/users/me/ai-settings',
  auth: 'user',
  summary: "The caller's AI opt-in",
  description:
    "Off until the user turns it on. On, the user may ask for summaries and reply suggestions, and their messages and name may be sent to the AI server in others' requests; off, nothing of theirs is ever sent.",
  tags: ['ai'],
  uses: ['sql', 'kv'],
  request: {},
  response: { status: 200, schema: AiSettingsSchema, description: 'The opt-in' },
  handle: async (_input, { platform, auth }) => (await platform.ai()).settings(auth.userId),
});
