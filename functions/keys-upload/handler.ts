import { defineFunction } from '@secureconnect/shared/http/define-function';
import { KeyUploadSchema } from '@secureconnect/shared/keys/api-schemas';

export default defineFunction({
  name: 'keys-upload',
  method: 'PUT',
  path: '/v1/keys',
  auth: 'user',
  summary: "Publish the caller's E2EE keys",
  description:
    'Identity key, signed prekey (+ signature) and up to 100 one-time prekeys per call (1000 stored at most). A changed identity key discards the old one-time prekeys. The server stores public keys only.',
  tags: ['keys'],
  uses: ['sql', 'kv'],
  request: { body: KeyUploadSchema },
  response: { status: 204, schema: undefined, description: 'The keys are published' },
  handle: async ({ body }, { platform, auth }) => {
    await (await platform.keyDirectory()).upload(auth.userId, body);
    return undefined;
  },
});
