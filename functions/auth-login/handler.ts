import { AuthSessionSchema, EmailSchema, PasswordSchema } from '@secureconnect/shared/accounts/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { requestMeta } from '@secureconnect/shared/http/request-meta';
import * as v from 'valibot';

export const LoginBody = v.object({ email: EmailSchema, password: PasswordSchema });
export type LoginBody = v.InferOutput<typeof LoginBody>;

export default defineFunction({
  name: 'auth-login',
  method: 'POST',
  path: '/v1/auth/login',
  auth: 'public',
  summary: 'Log in with email and password',
  description:
    'An unknown email and a wrong password both answer 401 alike. After 5 failures the account is locked for 15 minutes (429 with Retry-After); a password reset unlocks it.',
  tags: ['auth'],
  uses: ['sql', 'kv', 'signing-key'],
  request: { body: LoginBody },
  response: { status: 200, schema: AuthSessionSchema, description: 'The account and a new token pair' },
  handle: async ({ body }, context) => (await context.platform.accounts()).login(body, requestMeta(context)),
});
