import { CallTicketSchema, StartCallSchema } from '@secureconnect/shared/calls/api-schemas';
import { ConversationParamsSchema } from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction, Reply } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'calls-start',
  method: 'POST',
  path: '/v1/conversations/:conversationId/calls',
  auth: 'user',
  summary: 'Start a call',
  description:
    "Rings the other members (a `call.ringing` event, and push for those not connected) and answers how to connect: with LiveKit configured, `mode: livekit`, its URL and a short-lived token for this call's room; without it, `mode: p2p` (one-to-one conversations only; 409 in a group) with ICE servers carrying time-limited TURN credentials, and WebRTC signalling through `signal` frames on the realtime socket. With a call already going on in the conversation, joins it (200).",
  tags: ['calls'],
  uses: ['sql', 'kv', 'messages', 'events', 'calls', 'push'],
  request: { params: ConversationParamsSchema, body: StartCallSchema },
  response: {
    status: 201,
    schema: CallTicketSchema,
    description: 'The call and how to connect (200: joined the one going on)',
  },
  handle: async ({ params, body }, { platform, auth }) => {
    const { ticket, started } = await (await platform.calls()).start(
      auth.userId,
      params.conversationId,
      body.video,
    );
    return started ? ticket : new Reply(200, ticket);
  },
});
