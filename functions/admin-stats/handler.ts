import { StatsSchema } from '@secureconnect/shared/admin/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'admin-stats',
  method: 'GET',
  path: '/v1/admin/stats',
  auth: 'admin',
  summary: 'Deployment statistics (admins only)',
  description:
    "Users by status, conversations by type, messages per day over the last 30 days (UTC), sockets connected to the realtime gateways, and the drive's stored bytes and files.",
  tags: ['admin'],
  uses: ['sql', 'kv'],
  request: {},
  response: { status: 200, schema: StatsSchema, description: 'The statistics' },
  handle: async (_input, { platform }) => (await platform.admin()).stats(),
});
