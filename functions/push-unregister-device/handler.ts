import { defineFunction } from '@secureconnect/shared/http/define-function';
import { DeviceParamsSchema } from '@secureconnect/shared/push/api-schemas';

export default defineFunction({
  name: 'push-unregister-device',
  method: 'DELETE',
  path: '/v1/push/devices/:deviceId',
  auth: 'user',
  summary: 'Stop push to a device',
  description: "The caller's own devices only (404 for others).",
  tags: ['push'],
  uses: ['sql', 'kv'],
  request: { params: DeviceParamsSchema },
  response: { status: 204, schema: undefined, description: 'Unregistered' },
  handle: async ({ params }, { platform, auth }) => {
    await (await platform.pushService()).unregister(auth.userId, params.deviceId);
    return undefined;
  },
});
