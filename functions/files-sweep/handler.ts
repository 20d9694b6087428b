import { defineFunction } from '@secureconnect/shared/http/define-function';
import * as v from 'valibot';

export const SweepResultSchema = v.object({
  /** Unfinished uploads expired, their reservations freed. */
  expired: v.number(),
  /** Objects deleted from storage (of expired uploads, deleted files and erased accounts). */
  deleted: v.number(),
  /** Due deletions that failed; the next sweep retries them. */
  failed: v.number(),
});

export default defineFunction({
  name: 'files-sweep',
  method: 'POST',
  path: '/',
  auth: 'public',
  internal: true,
  schedule: '*/5 * * * *',
  summary: 'Expire unfinished uploads and delete queued objects',
  description:
    'Internal and scheduled (OpenFaaS cron-connector; every minute inside `npm start`): never routed publicly. Idempotent and safe to run concurrently; each run handles a bounded batch.',
  tags: ['files'],
  uses: ['sql', 'blobs'],
  request: {},
  response: { status: 200, schema: SweepResultSchema, description: 'What this run did' },
  handle: async (_input, { platform }) => (await platform.drive()).sweep(),
});
