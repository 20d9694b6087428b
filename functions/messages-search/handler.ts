import {
  ConversationParamsSchema,
  MessageSchema,
  SearchQuerySchema,
} from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import * as v from 'valibot';

export default defineFunction({
  name: 'messages-search',
  method: 'GET',
  path: '/v1/conversations/:conversationId/messages/search',
  auth: 'user',
  summary: 'Search messages by text',
  description:
    'Case-insensitive substring match, newest first. 409 in E2EE conversations: the server cannot read them.',
  tags: ['messages'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { params: ConversationParamsSchema, query: SearchQuerySchema },
  response: {
    status: 200,
    schema: v.object({ items: v.array(MessageSchema) }),
    description: 'Matching messages',
  },
  handle: async ({ params, query }, { platform, auth }) =>
    (await platform.messages()).search(auth.userId, params.conversationId, query),
});
