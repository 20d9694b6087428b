import * as v from 'valibot';
import { UuidSchema } from '../accounts/api-schemas';

/** A media type as clients announce it: `type/subtype`, parameters (`; charset=…`) allowed. */
const MEDIA_TYPE =
  /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(?:\s*;\s*[a-z0-9!#$&^_.+-]+=(?:[a-z0-9!#$&^_.+-]+|"[^"\\\r\n]*"))*$/;

export const FileNameSchema = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.nonEmpty('must not be blank'),
  v.maxLength(255, 'must be at most 255 characters'),
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  v.regex(/^[^\u0000-\u001f\u007f/\\]*$/, 'must not contain control characters or slashes'),
  v.check((name) => name !== '.' && name !== '..', 'must name a file'),
);

export const PresignUploadSchema = v.object({
  name: FileNameSchema,
  size: v.pipe(
    v.number('must be a number'),
    v.integer('must be a whole number of bytes'),
    v.minValue(1, 'must be at least 1 byte'),
    v.maxValue(Number.MAX_SAFE_INTEGER, 'is too large'),
  ),
  contentType: v.pipe(
    v.string('must be a string'),
    v.trim(),
    v.toLowerCase(),
    v.maxLength(255, 'must be at most 255 characters'),
    v.regex(MEDIA_TYPE, 'must be a media type such as image/png'),
  ),
});
export type PresignUpload = v.InferOutput<typeof PresignUploadSchema>;

export const FileParamsSchema = v.object({ fileId: UuidSchema });

export const FileSchema = v.object({
  id: v.string(),
  name: v.string(),
  contentType: v.string(),
  size: v.number(),
  /** `pending` until the upload is completed and verified; only `ready` files count and can be shared. */
  status: v.picklist(['pending', 'ready']),
  createdAt: v.string(),
  completedAt: v.nullable(v.string()),
});
export type DriveFile = v.InferOutput<typeof FileSchema>;

/** Where the bytes go: a PUT straight to object storage, authorized by its URL until it expires. */
export const UploadTicketSchema = v.object({
  fileId: v.string(),
  method: v.literal('PUT'),
  uploadUrl: v.string(),
  /** Send exactly these headers; the store refuses another length or type. */
  headers: v.record(v.string(), v.string()),
  expiresAt: v.string(),
  file: FileSchema,
});

export const DownloadSchema = v.object({
  /** A GET that serves the file as an attachment, until it expires. */
  url: v.string(),
  expiresAt: v.string(),
  file: FileSchema,
});

export const UsageSchema = v.object({
  /** Bytes of completed files. */
  usedBytes: v.number(),
  /** Bytes held for uploads in progress: they count against the quota until completed or expired. */
  reservedBytes: v.number(),
  quotaBytes: v.number(),
});

export const FileListSchema = v.object({
  items: v.array(FileSchema),
  nextCursor: v.nullable(v.string()),
  ...UsageSchema.entries,
});
