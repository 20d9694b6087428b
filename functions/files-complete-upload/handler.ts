import { FileParamsSchema, FileSchema } from '@secureconnect/shared/drive/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'files-complete-upload',
  method: 'POST',
  path: '/v1/files/:fileId/complete',
  auth: 'user',
  summary: 'Complete an upload',
  description:
    'Checks the stored object (size and type) before the file counts: a mismatch deletes it and frees the reservation (422 `upload-mismatch`); nothing uploaded yet is 409 `upload-missing`. Completing a completed file answers it again.',
  tags: ['files'],
  uses: ['sql', 'kv', 'blobs'],
  request: { params: FileParamsSchema },
  response: { status: 200, schema: FileSchema, description: 'The completed file' },
  handle: async ({ params }, { platform, auth }) =>
    (await platform.drive()).completeUpload(auth.userId, params.fileId),
});
