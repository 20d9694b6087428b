import { AddMembersSchema, ConversationParamsSchema } from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import * as v from 'valibot';

export default defineFunction({
  name: 'members-add',
  method: 'POST',
  path: '/v1/conversations/:conversationId/members',
  auth: 'user',
  summary: 'Add users to a group',
  description:
    'Owners and admins. Users already in the group are skipped; the group size limit applies (GROUP_MAX_MEMBERS). Emits member.added.',
  tags: ['members'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { params: ConversationParamsSchema, body: AddMembersSchema },
  response: {
    status: 200,
    schema: v.object({ added: v.array(v.string()) }),
    description: 'The users actually added',
  },
  handle: async ({ params, body }, { platform, auth }) =>
    (await platform.members()).add(auth.userId, params.conversationId, body.userIds),
});
