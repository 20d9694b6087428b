import {
  ConversationDetailSchema,
  CreateConversationSchema,
} from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction, Reply } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'conversations-create',
  method: 'POST',
  path: '/v1/conversations',
  auth: 'user',
  summary: 'Start a direct conversation or create a group',
  description:
    '`{type:"direct", userId}` is idempotent: the pair\'s existing conversation comes back with 200. A block in either direction refuses a direct conversation. `{type:"group", title, memberIds}` makes the caller owner.',
  tags: ['conversations'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { body: CreateConversationSchema },
  response: {
    status: 201,
    schema: ConversationDetailSchema,
    description: 'The new conversation (200: the existing direct one)',
  },
  handle: async ({ body }, { platform, auth }) => {
    const { conversation, created } = await (await platform.conversations()).create(auth.userId, body);
    return created ? conversation : new Reply(200, conversation);
  },
});
