import { defineFunction } from '@secureconnect/shared/http/define-function';
import { PushJobSchema } from '@secureconnect/shared/push/api-schemas';
import * as v from 'valibot';

export const DispatchReportSchema = v.object({
  members: v.number(),
  notified: v.number(),
  sent: v.number(),
  failed: v.number(),
  removed: v.number(),
});

export default defineFunction({
  name: 'push-dispatch',
  method: 'POST',
  path: '/',
  auth: 'public',
  internal: true,
  summary: 'Push a new message or a ringing call to members who are not connected',
  description:
    "Internal and asynchronous: invoked through the OpenFaaS gateway's `/async-function/push-dispatch` when PUSH_DISPATCH_URL points there (inside `npm start` the same work runs in-process). Skips muted conversations, quiet hours and members with a live socket; no preview in E2EE conversations or where previews are off; deletes tokens the push service reports dead.",
  tags: ['push'],
  uses: ['sql', 'kv', 'messages', 'push-providers'],
  request: { body: PushJobSchema },
  response: { status: 200, schema: DispatchReportSchema, description: 'What was sent' },
  handle: async ({ body }, { platform }) => (await platform.pushDispatcher()).dispatch(body),
});
