import { ReplySuggestionsSchema } from '@secureconnect/shared/ai/api-schemas';
import { ConversationParamsSchema } from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'ai-suggest-replies',
  method: 'POST',
  path: '/v1/conversations/:conversationId/ai/replies',
  auth: 'user',
  summary: 'Suggest replies',
  description:
    'Up to three short replies the caller could send next, from the recent messages of members who opted in. Refused as ai-summarize is.',
  tags: ['ai'],
  uses: ['sql', 'kv', 'messages', 'ai'],
  request: { params: ConversationParamsSchema },
  response: { status: 200, schema: ReplySuggestionsSchema, description: 'The suggestions' },
  handle: async ({ params }, { platform, auth }) =>
    (await platform.ai()).suggestReplies(auth.userId, params.conversationId),
});
