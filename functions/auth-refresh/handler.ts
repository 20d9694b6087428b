import { AuthSessionSchema, OpaqueTokenSchema } from '@secureconnect/shared/accounts/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { requestMeta } from '@secureconnect/shared/http/request-meta';
import * as v from 'valibot';

export const RefreshBody = v.object({ refreshToken: OpaqueTokenSchema });
export type RefreshBody = v.InferOutput<typeof RefreshBody>;

export default defineFunction({
  name: 'auth-refresh',
  method: 'POST',
  path: '/v1/auth/refresh',
  auth: 'public',
  summary: 'Rotate a refresh token',
  description:
    'Returns a new token pair; the presented refresh token is spent. Presenting a spent token revokes its whole session (token family).',
  tags: ['auth'],
  uses: ['sql', 'kv', 'signing-key'],
  request: { body: RefreshBody },
  response: { status: 200, schema: AuthSessionSchema, description: 'A new token pair' },
  handle: async ({ body }, context) =>
    (await context.platform.accounts()).refresh(body.refreshToken, requestMeta(context)),
});
