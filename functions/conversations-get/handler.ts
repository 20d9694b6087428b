import {
  ConversationDetailSchema,
  ConversationParamsSchema,
} from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'conversations-get',
  method: 'GET',
  path: '/v1/conversations/:conversationId',
  auth: 'user',
  summary: 'A conversation with its members',
  description: '404 unless the caller is a member.',
  tags: ['conversations'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { params: ConversationParamsSchema },
  response: { status: 200, schema: ConversationDetailSchema, description: 'The conversation' },
  handle: async ({ params }, { platform, auth }) =>
    (await platform.conversations()).get(auth.userId, params.conversationId),
});
