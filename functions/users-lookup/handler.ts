import { EmailSchema, PublicUserSchema } from '@secureconnect/shared/accounts/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import * as v from 'valibot';

export const LookupQuery = v.object({ email: EmailSchema });
export type LookupQuery = v.InferOutput<typeof LookupQuery>;

export default defineFunction({
  name: 'users-lookup',
  method: 'GET',
  path: '/v1/users/lookup',
  auth: 'user',
  summary: 'Find a user by exact email',
  description:
    'Exact match only. Users who blocked the caller, or whom the caller blocked, are not found (404).',
  tags: ['users'],
  uses: ['sql', 'kv'],
  request: { query: LookupQuery },
  response: { status: 200, schema: PublicUserSchema, description: 'The user' },
  handle: async ({ query }, { platform, auth }) => (await platform.users()).lookup(auth.userId, query.email),
});
