import { AuditEntrySchema, AuditFilterSchema } from '@secureconnect/shared/admin/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { PageQuerySchema, pageOf } from '@secureconnect/shared/http/pagination';
import * as v from 'valibot';

export default defineFunction({
  name: 'admin-audit-log',
  method: 'GET',
  path: '/v1/admin/audit-log',
  auth: 'admin',
  summary: 'Security events (admins only)',
  description:
    'Newest first: registrations, logins and failures, lockouts, password resets and changes, token reuse, session revocations, bans and role changes. `userId` keeps the events the user caused or was the subject of; `event` one type; `from` and `to` (ISO 8601 date-times, inclusive) a range.',
  tags: ['admin'],
  uses: ['sql', 'kv'],
  request: { query: v.object({ ...PageQuerySchema.entries, ...AuditFilterSchema.entries }) },
  response: { status: 200, schema: pageOf(AuditEntrySchema), description: 'A page of audit entries' },
  handle: async ({ query }, { platform }) => (await platform.admin()).auditLog(query),
});
