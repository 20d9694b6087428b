import { UserSchema } from '@secureconnect/shared/accounts/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'users-me',
  method: 'GET',
  path: '/v1/users/me',
  auth: 'user',
  summary: "The caller's account",
  tags: ['users'],
  uses: ['sql', 'kv'],
  request: {},
  response: { status: 200, schema: UserSchema, description: 'The account' },
  handle: async (_input, { platform, auth }) => (await platform.users()).me(auth.userId),
});
