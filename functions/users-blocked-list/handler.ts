import { BlockedUserSchema } from '@secureconnect/shared/accounts/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { PageQuerySchema, pageOf } from '@secureconnect/shared/http/pagination';

export default defineFunction({
  name: 'users-blocked-list',
  method: 'GET',
  path: '/v1/users/me/blocked',
  auth: 'user',
  summary: 'Users the caller has blocked',
  tags: ['users'],
  uses: ['sql', 'kv'],
  request: { query: PageQuerySchema },
  response: {
    status: 200,
    schema: pageOf(BlockedUserSchema),
    description: 'A page of blocked users, newest first',
  },
  handle: async ({ query }, { platform, auth }) => (await platform.users()).listBlocked(auth.userId, query),
});
