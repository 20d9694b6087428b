import { ConversationParamsSchema, MarkReadSchema } from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import * as v from 'valibot';

export default defineFunction({
  name: 'conversations-mark-read',
  method: 'POST',
  path: '/v1/conversations/:conversationId/read',
  auth: 'user',
  summary: 'Mark the conversation read up to a seq',
  description: 'The read pointer only moves forward. Emits a read event for the other members.',
  tags: ['conversations'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { params: ConversationParamsSchema, body: MarkReadSchema },
  response: { status: 200, schema: v.object({ readSeq: v.number() }), description: 'The read pointer now' },
  handle: async ({ params, body }, { platform, auth }) =>
    (await platform.conversations()).markRead(auth.userId, params.conversationId, body.seq),
});
