import { UserIdParamsSchema } from '@secureconnect/shared/accounts/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { requestMeta } from '@secureconnect/shared/http/request-meta';

export default defineFunction({
  name: 'users-unblock',
  method: 'DELETE',
  path: '/v1/users/:userId/block',
  auth: 'user',
  summary: 'Unblock a user',
  description: 'Idempotent.',
  tags: ['users'],
  uses: ['sql', 'kv'],
  request: { params: UserIdParamsSchema },
  response: { status: 204, schema: undefined, description: 'The user is no longer blocked' },
  handle: async ({ params }, context) => {
    await (await context.platform.users()).unblock(context.auth.userId, params.userId, requestMeta(context));
    return undefined;
  },
});
