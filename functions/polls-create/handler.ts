import { ConversationParamsSchema } from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction, Reply } from '@secureconnect/shared/http/define-function';
import { CreatePollSchema, PollSchema } from '@secureconnect/shared/polls/api-schemas';

export default defineFunction({
  name: 'polls-create',
  method: 'POST',
  path: '/v1/conversations/:conversationId/polls',
  auth: 'user',
  summary: 'Post a poll',
  description:
    'Posts a message whose `pollId` names the new poll (its body is the question), then `poll.updated` with the poll. 2–12 options, single or multiple choice, optionally anonymous (voters are never shown) and closing at `closesAt`. Idempotent by `clientMessageId` (200 with the poll posted before). Unavailable in E2EE conversations (409): the server counts the votes. Counts against the send-message rate limit.',
  tags: ['polls'],
  uses: ['sql', 'kv', 'messages', 'events', 'push'],
  request: { params: ConversationParamsSchema, body: CreatePollSchema },
  response: { status: 201, schema: PollSchema, description: 'The poll (200: posted before)' },
  handle: async ({ params, body }, { platform, auth }) => {
    const { poll, created } = await (await platform.polls()).create(auth.userId, params.conversationId, body);
    return created ? poll : new Reply(200, poll);
  },
});
