import { ReactionParamsSchema } from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'reactions-remove',
  method: 'DELETE',
  path: '/v1/conversations/:conversationId/messages/:messageId/reactions/:emoji',
  auth: 'user',
  summary: 'Take a reaction back',
  description: 'Idempotent. Emits reaction.removed.',
  tags: ['reactions'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { params: ReactionParamsSchema },
  response: { status: 204, schema: undefined, description: 'Removed' },
  handle: async ({ params }, { platform, auth }) => {
    await (await platform.messages()).removeReaction(
      auth.userId,
      params.conversationId,
      params.messageId,
      params.emoji,
    );
    return undefined;
  },
});
