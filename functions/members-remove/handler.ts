import { MemberParamsSchema } from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'members-remove',
  method: 'DELETE',
  path: '/v1/conversations/:conversationId/members/:userId',
  auth: 'user',
  summary: 'Remove a member, or leave',
  description:
    'Owners and admins remove others; anyone may remove themself (leave). An owner who leaves hands ownership on. Emits member.removed.',
  tags: ['members'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { params: MemberParamsSchema },
  response: { status: 204, schema: undefined, description: 'Removed' },
  handle: async ({ params }, { platform, auth }) => {
    await (await platform.members()).remove(auth.userId, params.conversationId, params.userId);
    return undefined;
  },
});
