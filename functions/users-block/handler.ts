import { UserIdParamsSchema } from '@secureconnect/shared/accounts/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { requestMeta } from '@secureconnect/shared/http/request-meta';

export default defineFunction({
  name: 'users-block',
  method: 'PUT',
  path: '/v1/users/:userId/block',
  auth: 'user',
  summary: 'Block a user',
  description:
    'Idempotent. A blocked user cannot find the blocker by email, open a direct conversation with or message them.',
  tags: ['users'],
  uses: ['sql', 'kv'],
  request: { params: UserIdParamsSchema },
  response: { status: 204, schema: undefined, description: 'The user is blocked' },
  handle: async ({ params }, context) => {
    await (await context.platform.users()).block(context.auth.userId, params.userId, requestMeta(context));
    return undefined;
  },
});
