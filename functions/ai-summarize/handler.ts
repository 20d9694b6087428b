import { SummarySchema } from '@secureconnect/shared/ai/api-schemas';
import { ConversationParamsSchema } from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'ai-summarize',
  method: 'POST',
  path: '/v1/conversations/:conversationId/ai/summary',
  auth: 'user',
  summary: 'Summarize the recent messages',
  description:
    "A short neutral summary of the conversation's recent messages, written by the configured OpenAI-compatible server. Only messages (and names) of members who opted in are sent. 503 `ai-not-configured` when the server has no AI; 409 `e2ee-ai-unavailable` in E2EE conversations, `ai-disabled` until an admin sets `aiEnabled`; 403 `ai-opt-in-required` until the caller opts in; 422 `nothing-to-summarize`; 503 `ai-unavailable` (with Retry-After) when the AI server fails or times out.",
  tags: ['ai'],
  uses: ['sql', 'kv', 'messages', 'ai'],
  request: { params: ConversationParamsSchema },
  response: { status: 200, schema: SummarySchema, description: 'The summary' },
  handle: async ({ params }, { platform, auth }) =>
    (await platform.ai()).summarize(auth.userId, params.conversationId),
});
