import { MessageParamsSchema } from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'messages-delete',
  method: 'DELETE',
  path: '/v1/conversations/:conversationId/messages/:messageId',
  auth: 'user',
  summary: 'Delete a message',
  description: 'The author, or a group owner or admin. Leaves a tombstone; emits message.deleted.',
  tags: ['messages'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { params: MessageParamsSchema },
  response: { status: 204, schema: undefined, description: 'Deleted' },
  handle: async ({ params }, { platform, auth }) => {
    await (await platform.messages()).delete(auth.userId, params.conversationId, params.messageId);
    return undefined;
  },
});
