import {
  MemberParamsSchema,
  RoleSchema,
  UpdateMemberSchema,
} from '@secureconnect/shared/conversations/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import * as v from 'valibot';

export default defineFunction({
  name: 'members-update',
  method: 'PATCH',
  path: '/v1/conversations/:conversationId/members/:userId',
  auth: 'user',
  summary: "Change a member's role, or mute for yourself",
  description:
    '`{role}` by owners and admins (only owners grant or take ownership; a group keeps at least one owner). `{mutedUntil}` by the member themself.',
  tags: ['members'],
  uses: ['sql', 'kv', 'messages', 'events'],
  request: { params: MemberParamsSchema, body: UpdateMemberSchema },
  response: {
    status: 200,
    schema: v.object({ userId: v.string(), role: RoleSchema, mutedUntil: v.nullable(v.string()) }),
    description: 'The member',
  },
  handle: async ({ params, body }, { platform, auth }) =>
    (await platform.members()).update(auth.userId, params.conversationId, params.userId, body),
});
