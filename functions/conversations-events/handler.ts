import {
  ConversationParamsSchema,
  EventSchema,
  EventsQuerySchema,
} from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import * as v from 'valibot';

export default defineFunction({
  name: 'conversations-events',
  method: 'GET',
  path: '/v1/conversations/:conversationId/events',
  auth: 'user',
  summary: 'The event log after a seq: what a client missed',
  description:
    "Durable events with seq > `after`, in order. A client that remembers its last seen seq per conversation calls this after any disconnect and reaches exactly the state it would have had (SPEC §6). Not in SPEC §5's table; it is the fetch §6 requires.",
  tags: ['conversations'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { params: ConversationParamsSchema, query: EventsQuerySchema },
  response: {
    status: 200,
    schema: v.object({ items: v.array(EventSchema), lastSeq: v.number() }),
    description: 'Events and the last seq',
  },
  handle: async ({ params, query }, { platform, auth }) =>
    (await platform.conversations()).events(auth.userId, params.conversationId, query),
});
