import { CallParamsSchema, CallTicketSchema } from '@secureconnect/shared/calls/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'calls-join',
  method: 'POST',
  path: '/v1/calls/:callId/join',
  auth: 'user',
  summary: 'Join a call',
  description:
    "How to connect to a call going on in one of the caller's conversations (as calls-start answers it). 409 once it has ended; 404 for a call the caller may not see.",
  tags: ['calls'],
  uses: ['sql', 'kv', 'messages', 'events', 'calls'],
  request: { params: CallParamsSchema },
  response: { status: 200, schema: CallTicketSchema, description: 'How to connect' },
  handle: async ({ params }, { platform, auth }) => (await platform.calls()).join(auth.userId, params.callId),
});
