import {
  ConversationParamsSchema,
  MessageSchema,
  SendMessageSchema,
} from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction, Reply } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'messages-send',
  method: 'POST',
  path: '/v1/conversations/:conversationId/messages',
  auth: 'user',
  summary: 'Send a message',
  description:
    'Idempotent by clientMessageId: the same id again returns the same message with 200 and sends nothing new. In E2EE conversations the body is opaque ciphertext. Rate-limited per user.',
  tags: ['messages'],
  uses: ['sql', 'kv', 'messages', 'events', 'push'],
  request: { params: ConversationParamsSchema, body: SendMessageSchema },
  response: { status: 201, schema: MessageSchema, description: 'The message (200: sent before)' },
  handle: async ({ params, body }, { platform, auth }) => {
    const { message, created } = await (await platform.messages()).send(
      auth.userId,
      params.conversationId,
      body,
    );
    return created ? message : new Reply(200, message);
  },
});
