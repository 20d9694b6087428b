import { UserIdParamsSchema } from '@secureconnect/shared/accounts/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { KeyBundleSchema } from '@secureconnect/shared/keys/api-schemas';

export default defineFunction({
  name: 'keys-bundle',
  method: 'GET',
  path: '/v1/keys/:userId',
  auth: 'user',
  summary: "Fetch a user's key bundle to start an E2EE session",
  description:
    'Identity key, signed prekey and one one-time prekey, which is consumed: no two requests ever receive the same one. 404 when the user has no keys or a block stands between you. Rate-limited per caller.',
  tags: ['keys'],
  uses: ['sql', 'kv'],
  request: { params: UserIdParamsSchema },
  response: { status: 200, schema: KeyBundleSchema, description: 'The bundle' },
  handle: async ({ params }, { platform, auth }) =>
    (await platform.keyDirectory()).bundle(auth.userId, params.userId),
});
