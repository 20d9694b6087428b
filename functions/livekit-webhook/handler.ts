import { defineFunction } from '@secureconnect/shared/http/define-function';
import * as v from 'valibot';

/** What LiveKit posts; the signature covers the raw body, which is what is verified. */
const WebhookEventSchema = v.looseObject({ event: v.string('must be a string') });

export default defineFunction({
  name: 'livekit-webhook',
  method: 'POST',
  path: '/v1/webhooks/livekit',
  auth: 'public',
  sdk: false,
  summary: 'LiveKit webhooks',
  description:
    "LiveKit's signed events (participant joined or left, room finished) keep call state: a call nobody is in any more ends. The `Authorization` header must carry LiveKit's signature over the body (401 otherwise); 404 where no LiveKit is configured.",
  tags: ['calls'],
  uses: ['sql', 'messages', 'events', 'calls'],
  request: { body: WebhookEventSchema },
  response: { status: 204, schema: undefined, description: 'Received' },
  handle: async (_input, { platform, c }) => {
    await (await platform.calls()).webhook(await c.req.text(), c.req.header('authorization'));
    return undefined;
  },
});
