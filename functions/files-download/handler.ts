import { DownloadSchema, FileParamsSchema } from '@secureconnect/shared/drive/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'files-download',
  method: 'GET',
  path: '/v1/files/:fileId/download',
  auth: 'user',
  summary: 'Download a file',
  description:
    'A short-lived URL that serves the file as an attachment. For the owner; for members of a conversation where a message that is not deleted attached it; and for anyone who shares a conversation with the user whose avatar it is. Anyone else gets 404, as for a missing file. 503 while object storage is unavailable.',
  tags: ['files'],
  uses: ['sql', 'kv', 'blobs'],
  request: { params: FileParamsSchema },
  response: { status: 200, schema: DownloadSchema, description: 'Where to download the file' },
  handle: async ({ params }, { platform, auth, c }) =>
    (await platform.drive()).download(auth.userId, params.fileId, c.req.url),
});
