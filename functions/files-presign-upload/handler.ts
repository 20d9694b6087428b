import { PresignUploadSchema, UploadTicketSchema } from '@secureconnect/shared/drive/api-schemas';
import { defineFunction } from '@secureconnect/shared/http/define-function';

export default defineFunction({
  name: 'files-presign-upload',
  method: 'POST',
  path: '/v1/files',
  auth: 'user',
  summary: 'Start an upload',
  description:
    "Reserves `size` bytes of the caller's quota (409 `quota-exceeded` past it) and answers a short-lived URL that accepts exactly `size` bytes of `contentType`: PUT the bytes there with the given headers, then complete the upload. An upload not completed in time is expired and its reservation freed. Size and type limits are configurable (422 past them). Rate-limited per user; 503 while object storage is unavailable.",
  tags: ['files'],
  uses: ['sql', 'kv', 'blobs'],
  request: { body: PresignUploadSchema },
  response: { status: 201, schema: UploadTicketSchema, description: 'Where and how to upload' },
  handle: async ({ body }, { platform, auth, c }) =>
    (await platform.drive()).presignUpload(auth.userId, body, c.req.url),
});
