import { NewPasswordSchema, OpaqueTokenSchema } from '@secureconnect/shared/accounts/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { requestMeta } from '@secureconnect/shared/http/request-meta';
import * as v from 'valibot';

export const PasswordResetConfirmBody = v.object({
  token: OpaqueTokenSchema,
  newPassword: NewPasswordSchema,
});
export type PasswordResetConfirmBody = v.InferOutput<typeof PasswordResetConfirmBody>;

export default defineFunction({
  name: 'auth-password-reset-confirm',
  method: 'POST',
  path: '/v1/auth/password-reset/confirm',
  auth: 'public',
  summary: 'Set a new password with a reset token',
  description: 'Spends the one-time token, lifts any lockout and ends every session of the account.',
  tags: ['auth'],
  uses: ['sql', 'kv', 'verify-key'],
  request: { body: PasswordResetConfirmBody },
  response: { status: 204, schema: undefined, description: 'The password is changed' },
  handle: async ({ body }, context) => {
    await (await context.platform.accounts()).confirmPasswordReset(body, requestMeta(context));
    return undefined;
  },
});
