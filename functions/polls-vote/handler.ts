import { defineFunction } from '@secureconnect/shared/http/define-function';
import { PollParamsSchema, PollSchema, VoteSchema } from '@secureconnect/shared/polls/api-schemas';

export default defineFunction({
  name: 'polls-vote',
  method: 'PUT',
  path: '/v1/polls/:pollId/vote',
  auth: 'user',
  summary: 'Vote in a poll',
  description:
    "Replaces the caller's vote with `optionIds` (exactly one unless the poll is multiple choice); the same vote again changes nothing. 409 once the poll is closed or past `closesAt`. Emits `poll.updated`.",
  tags: ['polls'],
  uses: ['sql', 'kv', 'messages', 'events'],
  // Anonymous polls never reveal voters, not even to whoever reads the request log.
  recordCaller: false,
  request: { params: PollParamsSchema, body: VoteSchema },
  response: { status: 200, schema: PollSchema, description: 'The poll with the vote counted' },
  handle: async ({ params, body }, { platform, auth }) =>
    (await platform.polls()).vote(auth.userId, params.pollId, body.optionIds),
});
