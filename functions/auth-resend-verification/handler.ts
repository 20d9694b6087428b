import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'auth-resend-verification',
  method: 'POST',
  path: '/v1/auth/verify-email/resend',
  auth: 'user',
  summary: 'Send the verification email again',
  description: 'Rate-limited per user; 409 when the address is already verified.',
  tags: ['auth'],
  uses: ['sql', 'kv', 'mail'],
  request: {},
  response: { status: 202, schema: undefined, description: 'A new verification email is on its way' },
  handle: async (_input, { platform, auth }) => {
    await (await platform.accounts()).resendVerification(auth);
    return undefined;
  },
});
