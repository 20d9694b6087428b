import { DisplayNameSchema, UserSchema, UuidSchema } from '@secureconnect/shared/accounts/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import * as v from 'valibot';

export const UpdateMeBody = v.pipe(
  v.object({ displayName: v.optional(DisplayNameSchema), avatarFileId: v.optional(v.nullable(UuidSchema)) }),
  v.check(
    (body) => body.displayName !== undefined || body.avatarFileId !== undefined,
    'must change displayName or avatarFileId',
  ),
);
export type UpdateMeBody = v.InferOutput<typeof UpdateMeBody>;

export default defineFunction({
  name: 'users-update-me',
  method: 'PATCH',
  path: '/v1/users/me',
  auth: 'user',
  summary: "Change the caller's display name or avatar",
  description: 'avatarFileId must be a file the caller owns; null removes the avatar.',
  tags: ['users'],
  uses: ['sql', 'kv'],
  request: { body: UpdateMeBody },
  response: { status: 200, schema: UserSchema, description: 'The updated account' },
  handle: async ({ body }, { platform, auth }) => (await platform.users()).updateMe(auth.userId, body),
});
