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

/**
 * Object storage for the drive (SPEC §7): S3/MinIO in production, a directory under DATA_DIR in
 * embedded mode. Keys are `users/<ownerId>/<fileId>`, so one user's objects share a prefix.
 */
export interface BlobStore {
  readonly kind: 's3' | 'local';

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
  head(key: string): Promise<BlobHead | null>;

  /** Idempotent: deleting an absent object succeeds. */
  delete(key: string): Promise<void>;

  /** Deletes every object whose key starts with `prefix`; returns how many there were. */
  deletePrefix(prefix: string): Promise<number>;

  /** Resolves when the store answers; throws when it cannot be reached. */
  ping(): Promise<void>;

  close(): Promise<void>;
}

/** Where a user's file lives: one prefix per user, so erasing an account erases a prefix. */
export const objectKey = (ownerId: string, fileId: string) => `${userPrefix(ownerId)}${fileId}`;
export const userPrefix = (ownerId: string) => `users/${ownerId}/`;
