/** What the store knows of an object: as a HEAD request reports it. */
export interface BlobHead {
  size: number;
  contentType: string;
}

/**
 * A request a client makes directly against the store, authorized by a signature in its URL:
 * clients upload and download bytes without passing them through a function.
 */
export interface SignedRequest {
  method: 'PUT' | 'GET';
  /**
   * Absolute for S3; root-relative (`/v1/blobs/…`) for the embedded store, which the server that
   * answered the request also serves — resolve it against that server's URL.
   */
  url: string;
  /** Headers the signature covers: the client must send exactly these. */
  headers: Record<string, string>;
  expiresAt: Date;
}

/** Bounds one call to the store: the resilient wrapper aborts an attempt that runs too long. */
export interface BlobCallOptions {
  signal?: AbortSignal;
}

/**
 * Object storage for the drive (SPEC §7): S3/MinIO in production, a directory under DATA_DIR in
 * embedded mode. Keys are `users/<ownerId>/<fileId>`, so one user's objects share a prefix; both
 * adapters refuse any other shape ({@link assertBlobKey}).
 *
 * Calls that reach the store answer 503 (`storage-unavailable`, with Retry-After) while it is
 * unreachable; signing does too, since a URL to a store that is down is useless.
 */
export interface BlobStore {
  readonly kind: 's3' | 'local';

  /** True while the store is known to be unreachable (circuit open): calls answer 503 at once. */
  readonly degraded: boolean;

  /**
   * A PUT that stores exactly `size` bytes of `contentType` at `key`, valid for `expiresInSeconds`:
   * the signature covers the length and the type, so a request with another length or type is
   * refused by the store itself.
   */
  signUpload(
    key: string,
    object: { size: number; contentType: string },
    expiresInSeconds: number,
  ): Promise<SignedRequest>;

  /** A GET of `key`, served as an attachment named `fileName`, valid for `expiresInSeconds`. */
  signDownload(
    key: string,
    object: { fileName: string; contentType: string },
    expiresInSeconds: number,
  ): Promise<SignedRequest>;

  /** Null when no object is stored at `key`. */
  head(key: string, options?: BlobCallOptions): Promise<BlobHead | null>;

  /** Idempotent: deleting an absent object succeeds. */
  delete(key: string, options?: BlobCallOptions): Promise<void>;

  /**
   * Deletes every object whose key starts with `prefix` (which ends with `/`, see
   * {@link userPrefix}); returns how many there were. With `maxKeys`, deletes at most that many
   * — one batch — so a caller can bound the work of each call and loop until fewer come back.
   */
  deletePrefix(prefix: string, options?: BlobCallOptions & { maxKeys?: number }): Promise<number>;

  /** Resolves when the store answers; throws when it cannot be reached. */
  ping(options?: BlobCallOptions): Promise<void>;

  close(): Promise<void>;
}

/** Where a user's file lives: one prefix per user, so erasing an account erases a prefix. */
export const objectKey = (ownerId: string, fileId: string) => `${userPrefix(ownerId)}${fileId}`;
export const userPrefix = (ownerId: string) => `users/${ownerId}/`;

/** At most what S3 accepts for a key, in bytes. */
const MAX_KEY_BYTES = 1024;
/** A path segment that can be neither `.`, `..` nor hidden: it starts with a letter or digit. */
const SEGMENT = '[A-Za-z0-9][A-Za-z0-9._-]*';
const KEY_PATTERN = new RegExp(`^${SEGMENT}(?:/${SEGMENT})*$`);
const PREFIX_PATTERN = new RegExp(`^(?:${SEGMENT}/)+$`);

/**
 * Refuses a key that is not relative slash-separated segments of `[A-Za-z0-9._-]` (no `..`, no
 * absolute path, no empty segment), before it reaches a filesystem path or an S3 URL.
 */
export function assertBlobKey(key: string): void {
  if (key.length > MAX_KEY_BYTES || !KEY_PATTERN.test(key))
    throw new RangeError(`not a blob key: ${JSON.stringify(key.slice(0, 100))}`);
}

/** As {@link assertBlobKey}, for a prefix: whole segments ending in `/`, never empty (never "all"). */
export function assertBlobPrefix(prefix: string): void {
  if (prefix.length > MAX_KEY_BYTES || !PREFIX_PATTERN.test(prefix))
    throw new RangeError(`not a blob prefix: ${JSON.stringify(prefix.slice(0, 100))}`);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Percent-encodes a value as RFC 5987 `attr-char`s: encodeURIComponent leaves `'()*` alone, which
 * that grammar does not allow, and throws on a lone surrogate, which is no character at all.
 */
const encodeAttrChars = (value: string) =>
  encodeURIComponent(value.replace(LONE_SURROGATE, '\uFFFD')).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/**
 * `Content-Disposition: attachment` naming `fileName` (RFC 6266): `filename*` carries the name in
 * UTF-8, `filename` an ASCII stand-in for clients that predate it. Control characters, quotes and
 * backslashes never reach the header.
 */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeAttrChars(fileName)}`;
}
