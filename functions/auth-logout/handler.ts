import { defineFunction } from '@secureconnect/shared/http/define-function';
import { requestMeta } from '@secureconnect/shared/http/request-meta';

export default defineFunction({
  name: 'auth-logout',
  method: 'POST',
  path: '/v1/auth/logout',
  auth: 'user',
  summary: 'End the current session',
  description: 'Revokes the refresh-token family and every access token of this session.',
  tags: ['auth'],
  uses: ['sql', 'kv'],
  request: {},
  response: { status: 204, schema: undefined, description: 'Logged out' },
  handle: async (_input, context) => {
    await (await context.platform.accounts()).logout(context.auth, requestMeta(context));
    return undefined;
  },
});
