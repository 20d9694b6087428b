import { ConversationSchema } from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { PageQuerySchema, pageOf } from '@secureconnect/shared/http/pagination';

export default defineFunction({
  name: 'conversations-list',
  method: 'GET',
  path: '/v1/conversations',
  auth: 'user',
  summary: "The caller's conversations",
  description:
    'Most recently active first, with the last message preview (none in E2EE conversations), lastSeq and unread count (capped at 100).',
  tags: ['conversations'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { query: PageQuerySchema },
  response: { status: 200, schema: pageOf(ConversationSchema), description: 'A page of conversations' },
  handle: async ({ query }, { platform, auth }) => (await platform.conversations()).list(auth.userId, query),
});
