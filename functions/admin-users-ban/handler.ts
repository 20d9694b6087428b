import { UserIdParamsSchema } from '@secureconnect/shared/accounts/api-schemas';
import { AdminUserSchema, BanSchema } from '@secureconnect/shared/admin/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { requestMeta } from '@secureconnect/shared/http/request-meta';

export default defineFunction({
  name: 'admin-users-ban',
  method: 'POST',
  path: '/v1/admin/users/:userId/ban',
  auth: 'admin',
  summary: 'Ban a user (admins only)',
  description:
    'Every session of the user ends at once: their sockets close (4401) and every token is refused; logging in answers 403 `account-banned`. `reason` (at most 500 characters) goes to the audit log. Banning a banned user changes nothing; admins cannot be banned, nor can an admin ban themself (409).',
  tags: ['admin'],
  uses: ['sql', 'kv'],
  request: { params: UserIdParamsSchema, body: BanSchema },
  response: { status: 200, schema: AdminUserSchema, description: 'The user, banned' },
  handle: async ({ params, body }, context) =>
    (await context.platform.admin()).ban(context.auth.userId, params.userId, body, requestMeta(context)),
});
