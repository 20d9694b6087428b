import { defineFunction } from '@secureconnect/shared/http/define-function';
import { PollParamsSchema, PollSchema } from '@secureconnect/shared/polls/api-schemas';

export default defineFunction({
  name: 'polls-get',
  method: 'GET',
  path: '/v1/polls/:pollId',
  auth: 'user',
  summary: 'A poll and its results',
  description:
    "Counts per option, who voted for what unless the poll is anonymous, and the caller's own choices. `closed` is true once closed or past `closesAt`. 404 unless the caller is a member of the poll's conversation.",
  tags: ['polls'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { params: PollParamsSchema },
  response: { status: 200, schema: PollSchema, description: 'The poll' },
  handle: async ({ params }, { platform, auth }) => (await platform.polls()).get(auth.userId, params.pollId),
});
