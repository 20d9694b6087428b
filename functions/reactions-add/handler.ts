import { ReactionParamsSchema } from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'reactions-add',
  method: 'PUT',
  path: '/v1/conversations/:conversationId/messages/:messageId/reactions/:emoji',
  auth: 'user',
  summary: 'React to a message',
  description: 'Idempotent. `emoji` is one URL-encoded emoji or symbol. Emits reaction.added.',
  tags: ['reactions'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { params: ReactionParamsSchema },
  response: { status: 204, schema: undefined, description: 'Reacted' },
  handle: async ({ params }, { platform, auth }) => {
    await (await platform.messages()).addReaction(
      auth.userId,
      params.conversationId,
      params.messageId,
      params.emoji,
    );
    return undefined;
  },
});
