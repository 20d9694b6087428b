import { CallParamsSchema, CallSchema } from '@secureconnect/shared/calls/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'calls-end',
  method: 'POST',
  path: '/v1/calls/:callId/end',
  auth: 'user',
  summary: 'End a call for everyone',
  description:
    'Whoever started it, an owner or admin of the group, or either member of a direct conversation. Deletes the LiveKit room and records `call.ended`; ending an ended call changes nothing. A call nobody is in any more ends by itself.',
  tags: ['calls'],
  uses: ['sql', 'kv', 'messages', 'events', 'calls'],
  request: { params: CallParamsSchema },
  response: { status: 200, schema: CallSchema, description: 'The ended call' },
  handle: async ({ params }, { platform, auth }) => (await platform.calls()).end(auth.userId, params.callId),
});
