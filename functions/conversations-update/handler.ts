import {
  ConversationDetailSchema,
  ConversationParamsSchema,
  UpdateConversationSchema,
} from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'conversations-update',
  method: 'PATCH',
  path: '/v1/conversations/:conversationId',
  auth: 'user',
  summary: 'Change title, e2ee, aiEnabled or retentionDays',
  description:
    'Group owners and admins (either member of a direct conversation). E2EE cannot be turned off once on. Emits conversation.updated.',
  tags: ['conversations'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { params: ConversationParamsSchema, body: UpdateConversationSchema },
  response: { status: 200, schema: ConversationDetailSchema, description: 'The updated conversation' },
  handle: async ({ params, body }, { platform, auth }) =>
    (await platform.conversations()).update(auth.userId, params.conversationId, body),
});
