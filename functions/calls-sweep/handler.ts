import { defineFunction } from '@secureconnect/shared/http/define-function';
import * as v from 'valibot';

export default defineFunction({
  name: 'calls-sweep',
  method: 'POST',
  path: '/',
  auth: 'public',
  internal: true,
  schedule: '* * * * *',
  summary: 'End calls nobody answered or nobody is in',
  description:
    'Internal and scheduled (every minute, in OpenFaaS through the cron-connector and inside `npm start`): ends calls unanswered past CALL_RING_TIMEOUT_SECONDS and calls without participants, which a lost webhook or a vanished client left going.',
  tags: ['calls'],
  uses: ['sql', 'kv', 'messages', 'events', 'calls'],
  request: {},
  response: {
    status: 200,
    schema: v.object({ ended: v.number() }),
    description: 'How many calls this run ended',
  },
  handle: async (_input, { platform }) => (await platform.calls()).sweep(),
});
