import {
  AuthSessionSchema,
  DisplayNameSchema,
  EmailSchema,
  NewPasswordSchema,
} from '@secureconnect/shared/accounts/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { requestMeta } from '@secureconnect/shared/http/request-meta';
import * as v from 'valibot';

export const RegisterBody = v.object({
  email: EmailSchema,
  password: NewPasswordSchema,
  displayName: DisplayNameSchema,
});
export type RegisterBody = v.InferOutput<typeof RegisterBody>;

export default defineFunction({
  name: 'auth-register',
  method: 'POST',
  path: '/v1/auth/register',
  auth: 'public',
  summary: 'Create an account',
  description: 'Creates the account, starts a session and emails a verification link. Rate-limited per IP.',
  tags: ['auth'],
  uses: ['sql', 'kv', 'mail', 'signing-key'],
  request: { body: RegisterBody },
  response: {
    status: 201,
    schema: AuthSessionSchema,
    description: 'The new account and its first token pair',
  },
  handle: async ({ body }, context) =>
    (await context.platform.accounts()).register(body, requestMeta(context)),
});
