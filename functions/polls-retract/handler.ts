import { defineFunction } from '@secureconnect/shared/http/define-function';
import { PollParamsSchema, PollSchema } from '@secureconnect/shared/polls/api-schemas';

export default defineFunction({
  name: 'polls-retract',
  method: 'DELETE',
  path: '/v1/polls/:pollId/vote',
  auth: 'user',
  summary: 'Take back a vote',
  description:
    "Removes the caller's vote (nothing changes without one). 409 once the poll is closed. Emits `poll.updated`.",
  tags: ['polls'],
  uses: ['sql', 'kv', 'messages', 'events'],
  // Anonymous polls never reveal voters, not even to whoever reads the request log.
  recordCaller: false,
  request: { params: PollParamsSchema },
  response: { status: 200, schema: PollSchema, description: 'The poll without the vote' },
  handle: async ({ params }, { platform, auth }) =>
    (await platform.polls()).retract(auth.userId, params.pollId),
});
