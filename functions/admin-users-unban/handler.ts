import { UserIdParamsSchema } from '@secureconnect/shared/accounts/api-schemas';
import { AdminUserSchema } from '@secureconnect/shared/admin/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { requestMeta } from '@secureconnect/shared/http/request-meta';

export default defineFunction({
  name: 'admin-users-unban',
  method: 'POST',
  path: '/v1/admin/users/:userId/unban',
  auth: 'admin',
  summary: 'Lift a ban (admins only)',
  description:
    'The user may log in again (the ban ended their sessions). Unbanning a user who is not banned changes nothing.',
  tags: ['admin'],
  uses: ['sql', 'kv'],
  request: { params: UserIdParamsSchema },
  response: { status: 200, schema: AdminUserSchema, description: 'The user, active' },
  handle: async ({ params }, context) =>
    (await context.platform.admin()).unban(context.auth.userId, params.userId, requestMeta(context)),
});
