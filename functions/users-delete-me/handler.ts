import { PasswordSchema } from '@secureconnect/shared/accounts/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { requestMeta } from '@secureconnect/shared/http/request-meta';
import * as v from 'valibot';

export const DeleteMeBody = v.object({ password: PasswordSchema });
export type DeleteMeBody = v.InferOutput<typeof DeleteMeBody>;

export default defineFunction({
  name: 'users-delete-me',
  method: 'DELETE',
  path: '/v1/users/me',
  auth: 'user',
  summary: 'Delete the account',
  description:
    'Needs the password (403 if wrong). Erases email, name, avatar, password, blocks, pending tokens, push devices, notification and AI settings, and every file in the drive (the stored objects too); ends every session, and keeps an anonymous tombstone so conversations still show "Deleted user".',
  tags: ['users'],
  uses: ['sql', 'kv', 'blobs'],
  request: { body: DeleteMeBody },
  response: { status: 204, schema: undefined, description: 'The account is erased' },
  handle: async ({ body }, context) => {
    await (await context.platform.accounts()).deleteAccount(
      context.auth,
      body.password,
      requestMeta(context),
    );
    return undefined;
  },
});
