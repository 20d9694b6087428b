import {
  ConversationParamsSchema,
  MessageSchema,
  MessagesQuerySchema,
} from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import * as v from 'valibot';

export default defineFunction({
  name: 'messages-list',
  method: 'GET',
  path: '/v1/conversations/:conversationId/messages',
  auth: 'user',
  summary: 'Messages, by seq',
  description:
    'Ascending by seq. `?before=seq` pages back from the newest (default), `?after=seq` forward; `limit` ≤ 100.',
  tags: ['messages'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { params: ConversationParamsSchema, query: MessagesQuerySchema },
  response: {
    status: 200,
    schema: v.object({ items: v.array(MessageSchema), lastSeq: v.number() }),
    description: 'Messages and the last seq',
  },
  handle: async ({ params, query }, { platform, auth }) =>
    (await platform.messages()).list(auth.userId, params.conversationId, query),
});
