import { AdminUserSchema, UserFilterSchema } from '@secureconnect/shared/admin/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { PageQuerySchema, pageOf } from '@secureconnect/shared/http/pagination';
import * as v from 'valibot';

export default defineFunction({
  name: 'admin-users',
  method: 'GET',
  path: '/v1/admin/users',
  auth: 'admin',
  summary: 'Find users (admins only)',
  description:
    'Newest account first. `q` matches an email prefix or a part of the display name, ignoring case; `status` and `role` filter. Each user carries `lastActiveAt`, when one of their sessions last logged in or refreshed.',
  tags: ['admin'],
  uses: ['sql', 'kv'],
  request: { query: v.object({ ...PageQuerySchema.entries, ...UserFilterSchema.entries }) },
  response: { status: 200, schema: pageOf(AdminUserSchema), description: 'A page of users' },
  handle: async ({ query }, { platform }) => (await platform.admin()).listUsers(query),
});
