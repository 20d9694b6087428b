import { EmailSchema } from '@secureconnect/shared/accounts/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { requestMeta } from '@secureconnect/shared/http/request-meta';
import * as v from 'valibot';

export const PasswordResetBody = v.object({ email: EmailSchema });
export type PasswordResetBody = v.InferOutput<typeof PasswordResetBody>;

export default defineFunction({
  name: 'auth-password-reset-request',
  method: 'POST',
  path: '/v1/auth/password-reset',
  auth: 'public',
  summary: 'Ask for a password reset email',
  description: 'Always answers 202, whether or not the address has an account.',
  tags: ['auth'],
  uses: ['sql', 'kv', 'mail', 'verify-key'],
  request: { body: PasswordResetBody },
  response: { status: 202, schema: undefined, description: 'If the account exists, an email is on its way' },
  handle: async ({ body }, context) => {
    await (await context.platform.accounts()).requestPasswordReset(body.email, requestMeta(context));
    return undefined;
  },
});
