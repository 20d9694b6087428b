import { defineFunction } from '@secureconnect/shared/http/define-function';
import { PrekeyCountSchema } from '@secureconnect/shared/keys/api-schemas';

export default defineFunction({
  name: 'keys-count',
  method: 'GET',
  path: '/v1/keys/me/count',
  auth: 'user',
  summary: 'How many one-time prekeys the caller has left',
  description: 'Clients replenish when this runs low.',
  tags: ['keys'],
  uses: ['sql', 'kv'],
  request: {},
  response: { status: 200, schema: PrekeyCountSchema, description: 'The count' },
  handle: async (_input, { platform, auth }) => ({
    count: await (await platform.keyDirectory()).count(auth.userId),
  }),
});
