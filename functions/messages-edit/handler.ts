import {
  EditMessageSchema,
  MessageParamsSchema,
  MessageSchema,
} from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'messages-edit',
  method: 'PATCH',
  path: '/v1/conversations/:conversationId/messages/:messageId',
  auth: 'user',
  summary: 'Edit a message',
  description: 'Author only. Emits message.updated.',
  tags: ['messages'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { params: MessageParamsSchema, body: EditMessageSchema },
  response: { status: 200, schema: MessageSchema, description: 'The edited message' },
  handle: async ({ params, body }, { platform, auth }) =>
    (await platform.messages()).edit(auth.userId, params.conversationId, params.messageId, body.body),
});
