import { FileListSchema } from '@secureconnect/shared/drive/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';
import { PageQuerySchema } from '@secureconnect/shared/http/pagination';

export default defineFunction({
  name: 'files-list',
  method: 'GET',
  path: '/v1/files',
  auth: 'user',
  summary: "The caller's files and quota",
  description:
    'Newest first, completed and pending uploads alike, with `usedBytes`, `reservedBytes` (uploads in progress) and `quotaBytes`.',
  tags: ['files'],
  uses: ['sql', 'kv', 'blobs'],
  request: { query: PageQuerySchema },
  response: { status: 200, schema: FileListSchema, description: 'A page of files and the usage' },
  handle: async ({ query }, { platform, auth }) => (await platform.drive()).list(auth.userId, query),
});
