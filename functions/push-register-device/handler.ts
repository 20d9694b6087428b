import { defineFunction } from '@secureconnect/shared/http/define-function';
import { DeviceSchema, RegisterDeviceSchema } from '@secureconnect/shared/push/api-schemas';

export default defineFunction({
  name: 'push-register-device',
  method: 'POST',
  path: '/v1/push/devices',
  auth: 'user',
  summary: 'Register a device for push',
  description:
    'An FCM registration token or an APNs device token. Idempotent: the same token again is the same device. A token registered by another account moves to the caller.',
  tags: ['push'],
  uses: ['sql', 'kv'],
  request: { body: RegisterDeviceSchema },
  response: { status: 201, schema: DeviceSchema, description: 'The device' },
  handle: async ({ body }, { platform, auth }) => (await platform.pushService()).register(auth.userId, body),
});
