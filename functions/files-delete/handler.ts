import { FileParamsSchema } from '@secureconnect/shared/drive/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'files-delete',
  method: 'DELETE',
  path: '/v1/files/:fileId',
  auth: 'user',
  summary: 'Delete a file',
  description:
    'The owner only (403 for members it was shared with). Frees its quota at once, removes it from the messages it was attached to and as avatar; the stored object is deleted right away, or by the sweep if object storage is unavailable.',
  tags: ['files'],
  uses: ['sql', 'kv', 'blobs'],
  request: { params: FileParamsSchema },
  response: { status: 204, schema: undefined, description: 'Deleted' },
  handle: async ({ params }, { platform, auth }) => {
    await (await platform.drive()).delete(auth.userId, params.fileId);
    return undefined;
  },
});
