import { OpaqueTokenSchema } from '@secureconnect/shared/accounts/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { requestMeta } from '@secureconnect/shared/http/request-meta';
import * as v from 'valibot';

export const VerifyEmailBody = v.object({ token: OpaqueTokenSchema });
export type VerifyEmailBody = v.InferOutput<typeof VerifyEmailBody>;

export default defineFunction({
  name: 'auth-verify-email',
  method: 'POST',
  path: '/v1/auth/verify-email',
  auth: 'public',
  summary: 'Confirm an email address',
  description: 'Spends the one-time token from the verification email.',
  tags: ['auth'],
  uses: ['sql', 'kv', 'verify-key'],
  request: { body: VerifyEmailBody },
  response: { status: 204, schema: undefined, description: 'The email address is verified' },
  handle: async ({ body }, context) => {
    await (await context.platform.accounts()).verifyEmail(body.token, requestMeta(context));
    return undefined;
  },
});
