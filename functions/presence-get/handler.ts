import { defineFunction } from '@secureconnect/shared/http/define-function';
import { PRESENCE_STATUSES } from '@secureconnect/shared/realtime/presence-store';
import * as v from 'valibot';

export const PresenceQuerySchema = v.object({
  userIds: v.pipe(
    v.string('is required'),
    v.transform((value) => [
      ...new Set(
        value
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean),
      ),
    ]),
    v.minLength(1, 'must name at least one user'),
    v.maxLength(100, 'must name at most 100 users'),
    v.check(
      (ids) => ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)),
      'must be comma-separated UUIDs',
    ),
  ),
});

export default defineFunction({
  name: 'presence-get',
  method: 'GET',
  path: '/v1/presence',
  auth: 'user',
  summary: 'Who is online',
  description:
    '`?userIds=a,b,c` (at most 100). Only users who share a conversation with the caller are returned; the others are left out.',
  tags: ['presence'],
  uses: ['sql', 'kv'],
  request: { query: PresenceQuerySchema },
  response: {
    status: 200,
    schema: v.object({
      items: v.array(v.object({ userId: v.string(), status: v.picklist(PRESENCE_STATUSES) })),
    }),
    description: 'Statuses of the visible users',
  },
  handle: async ({ query }, { platform, auth }) =>
    (await platform.presenceService()).get(auth.userId, query.userIds),
});
