import { NewPasswordSchema, PasswordSchema } from '@secureconnect/shared/accounts/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { requestMeta } from '@secureconnect/shared/http/request-meta';
import * as v from 'valibot';

export const ChangePasswordBody = v.object({
  currentPassword: PasswordSchema,
  newPassword: NewPasswordSchema,
});
export type ChangePasswordBody = v.InferOutput<typeof ChangePasswordBody>;

export default defineFunction({
  name: 'users-change-password',
  method: 'POST',
  path: '/v1/users/me/password',
  auth: 'user',
  summary: 'Change the password',
  description: 'Needs the current password (403 if wrong). Every other session of the account ends.',
  tags: ['users'],
  uses: ['sql', 'kv'],
  request: { body: ChangePasswordBody },
  response: { status: 204, schema: undefined, description: 'The password is changed' },
  handle: async ({ body }, context) => {
    await (await context.platform.accounts()).changePassword(context.auth, body, requestMeta(context));
    return undefined;
  },
});
