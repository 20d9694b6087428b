import { defineFunction } from '@secureconnect/shared/http/define-function';
import { PollParamsSchema, PollSchema } from '@secureconnect/shared/polls/api-schemas';

export default defineFunction({
  name: 'polls-close',
  method: 'POST',
  path: '/v1/polls/:pollId/close',
  auth: 'user',
  summary: 'Close a poll',
  description:
    'The creator, or an owner or admin of the group. A closed poll takes no more votes; closing it again changes nothing. Emits `poll.updated`.',
  tags: ['polls'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { params: PollParamsSchema },
  response: { status: 200, schema: PollSchema, description: 'The closed poll' },
  handle: async ({ params }, { platform, auth }) =>
    (await platform.polls()).close(auth.userId, params.pollId),
});
