import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { constants, createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readOrCreateSecretFile } from '../config/embedded-secret';
import { ConfigError } from '../config/env';
import { ProblemError } from '../errors/problem';
import {
  assertBlobKey,
  assertBlobPrefix,
  type BlobHead,
  type BlobStore,
  type SignedRequest,
} from './blob-store';

/** Where the embedded store's signed URLs point; served by local-blob-routes.ts. */
export const BLOB_ROUTE_PREFIX = '/v1/blobs';

/** The HMAC key of the signed URLs, relative to DATA_DIR (beside the embedded JWT key). */
export const BLOB_URL_KEY_FILE = join('keys', 'blob-url.key');

const URL_KEY_BYTES = 32;
/** Uploads in progress, beside the objects (same filesystem, so the final rename is atomic). */
const INCOMING_DIR = '.incoming';
/** Content types, one JSON file per object: `.meta/<key>.json`. Keys never start with a dot. */
const META_DIR = '.meta';
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** The query of an upload URL: the length and type travel as headers, as with S3. */
export interface UploadAuthorization {
  expires: string | undefined;
  signature: string | undefined;
  size: string | undefined;
  contentType: string | undefined;
}

/** The query of a download URL. */
export interface DownloadAuthorization {
  expires: string | undefined;
  signature: string | undefined;
  fileName: string | undefined;
  contentType: string | undefined;
}

/** An object opened for reading, with what its signed URL says to serve it as. */
export interface OpenedBlob {
  size: number;
  stream: ReadStream;
}

const signatureMismatch = () =>
  new ProblemError(
    403,
    'signature-mismatch',
    'The signature does not match this request: the URL, its method, length or content type differ from what was signed.',
  );

/** Keys travel in URLs segment by segment; `/` stays a separator. */
const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');

/**
 * The embedded {@link BlobStore} (SPEC §4): objects are files under `DATA_DIR/blobs/<key>`, their
 * content type in a small sidecar, and signed URLs are root-relative `/v1/blobs/<key>?…` that the
 * same server verifies and serves (local-blob-routes.ts). A URL carries its expiry and an
 * HMAC-SHA256 over what it authorizes — for a PUT the method, key, length, type and expiry; for a
 * GET the method, key, file name, type and expiry — under a 32-byte key kept at
 * `DATA_DIR/keys/blob-url.key`, so URLs survive restarts and every process sharing DATA_DIR
 * accepts them. Production refuses this store (S3_BUCKET is required there).
 */
export class LocalBlobStore implements BlobStore {
  readonly kind = 'local';
  /** A local directory is never "unreachable"; its failures are errors, not an outage. */
  readonly degraded = false;

  private constructor(
    private readonly root: string,
    private readonly urlKey: Buffer,
  ) {}

  /** Prepares `DATA_DIR/blobs` and loads (or creates) the URL key; a ConfigError names DATA_DIR. */
  static async open({ dataDir }: { dataDir: string }): Promise<LocalBlobStore> {
    const root = join(resolve(dataDir), 'blobs');
    const keyPath = join(dataDir, BLOB_URL_KEY_FILE);
    let urlKey: Buffer;
    try {
      await mkdir(join(root, INCOMING_DIR), { recursive: true, mode: 0o700 });
      urlKey = await readOrCreateSecretFile(keyPath, () => randomBytes(URL_KEY_BYTES));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new ConfigError(`DATA_DIR: cannot prepare the embedded blob store under ${dataDir} (${code})`);
    }
    if (urlKey.length !== URL_KEY_BYTES)
      throw new ConfigError(
        `DATA_DIR: ${keyPath} must hold ${URL_KEY_BYTES} bytes; delete it to start afresh`,
      );
    return new LocalBlobStore(root, urlKey);
  }

  async signUpload(
    key: string,
    { size, contentType }: { size: number; contentType: string },
    expiresInSeconds: number,
  ): Promise<SignedRequest> {
    assertBlobKey(key);
    const expires = expiryOf(expiresInSeconds);
    const signature = this.sign(['PUT', key, String(size), contentType, String(expires)]);
    return {
      method: 'PUT',
      url: `${BLOB_ROUTE_PREFIX}/${encodeKey(key)}?${new URLSearchParams({ expires: String(expires), signature })}`,
      headers: { 'content-type': contentType, 'content-length': String(size) },
      expiresAt: new Date(expires * 1000),
    };
  }

  async signDownload(
    key: string,
    { fileName, contentType }: { fileName: string; contentType: string },
    expiresInSeconds: number,
  ): Promise<SignedRequest> {
    assertBlobKey(key);
    const expires = expiryOf(expiresInSeconds);
    const signature = this.sign(['GET', key, fileName, contentType, String(expires)]);
    const query = new URLSearchParams({
      expires: String(expires),
      name: fileName,
      type: contentType,
      signature,
    });
    return {
      method: 'GET',
      url: `${BLOB_ROUTE_PREFIX}/${encodeKey(key)}?${query}`,
      headers: {},
      expiresAt: new Date(expires * 1000),
    };
  }

  /**
   * Checks an upload URL against the request's own Content-Length and Content-Type, as S3 checks a
   * presigned PUT: any difference from what was signed is a signature mismatch (403).
   */
  verifyUpload(key: string, { expires, signature, size, contentType }: UploadAuthorization): void {
    this.verify(['PUT', key, size ?? '', contentType ?? '', expires ?? ''], signature, expires);
  }

  verifyDownload(key: string, { expires, signature, fileName, contentType }: DownloadAuthorization): void {
    this.verify(['GET', key, fileName ?? '', contentType ?? '', expires ?? ''], signature, expires);
  }

  /**
   * Stores exactly `size` bytes from `body` at `key`: streamed to a temporary file while counting,
   * then renamed into place, so a reader sees the old object or the whole new one — never a part.
   * A body longer or shorter than `size` stores nothing (400).
   */
  async write(key: string, body: Readable, size: number, contentType: string): Promise<void> {
    assertBlobKey(key);
    const temporary = join(this.root, INCOMING_DIR, randomUUID());
    let bodyFailure: unknown;
    body.once('error', (error) => {
      bodyFailure = error;
    });
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        done(received > size ? lengthMismatch(size) : null, chunk);
      },
    });
    try {
      await pipeline(body, counter, createWriteStream(temporary, { flags: 'wx', mode: 0o600 }));
      if (received !== size) throw lengthMismatch(size);
      const path = this.pathOf(key);
      const metaPath = this.metaPathOf(key);
      await Promise.all([
        mkdir(dirname(path), { recursive: true }),
        mkdir(dirname(metaPath), { recursive: true }),
      ]);
      await writeFile(metaPath, JSON.stringify({ contentType }));
      await rename(temporary, path);
    } catch (error) {
      await unlink(temporary).catch(() => {});
      if (error instanceof ProblemError) throw error;
      // The client went away mid-body: nothing was stored. A disk failure stays an error of ours.
      if (bodyFailure !== undefined)
        throw new ProblemError(400, 'upload-interrupted', 'The upload ended before its body was complete.');
      throw error;
    }
  }

  /** The object for a download, or null when absent. */
  async read(key: string): Promise<OpenedBlob | null> {
    assertBlobKey(key);
    const path = this.pathOf(key);
    try {
      const { size } = await stat(path);
      return { size, stream: createReadStream(path) };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async head(key: string): Promise<BlobHead | null> {
    assertBlobKey(key);
    try {
      const { size } = await stat(this.pathOf(key));
      return { size, contentType: await this.contentTypeOf(key) };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    await Promise.all([ignoreMissing(unlink(this.pathOf(key))), ignoreMissing(unlink(this.metaPathOf(key)))]);
  }

  async deletePrefix(prefix: string, { maxKeys }: { maxKeys?: number } = {}): Promise<number> {
    assertBlobPrefix(prefix);
    const directory = this.pathOf(prefix.slice(0, -1));
    let entries: string[];
    try {
      entries = await readdir(directory, { recursive: true });
    } catch (error) {
      if (isMissing(error)) return 0;
      throw error;
    }
    let deleted = 0;
    const directories: string[] = [];
    for (const entry of entries.sort()) {
      const key = `${prefix}${entry.split(sep).join('/')}`;
      if ((await stat(this.pathOf(key)).catch(() => undefined))?.isDirectory()) {
        directories.push(key);
        continue;
      }
      if (maxKeys !== undefined && deleted >= maxKeys) return deleted;
      await this.delete(key);
      deleted++;
    }
    // Deepest first; a directory an upload just wrote into stays (ENOTEMPTY is fine).
    for (const key of [...directories.reverse(), prefix.slice(0, -1)]) {
      await rmdir(this.pathOf(key)).catch(() => {});
      await rmdir(this.inside(join(this.root, META_DIR, ...key.split('/')))).catch(() => {});
    }
    return deleted;
  }

  async ping(): Promise<void> {
    await access(this.root, constants.R_OK | constants.W_OK);
  }

  async close(): Promise<void> {}

  private async contentTypeOf(key: string): Promise<string> {
    try {
      const meta = JSON.parse(await readFile(this.metaPathOf(key), 'utf8')) as { contentType?: unknown };
      return typeof meta.contentType === 'string' ? meta.contentType : DEFAULT_CONTENT_TYPE;
    } catch (error) {
      if (isMissing(error)) return DEFAULT_CONTENT_TYPE;
      throw error;
    }
  }

  private sign(fields: string[]): string {
    // JSON keeps the fields apart whatever they contain (a file name may hold any character).
    return createHmac('sha256', this.urlKey).update(JSON.stringify(fields)).digest('base64url');
  }

  private verify(fields: string[], signature: string | undefined, expires: string | undefined): void {
    const expected = Buffer.from(this.sign(fields), 'base64url');
    const given = Buffer.from(signature ?? '', 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw signatureMismatch();
    // Checked after the signature, so "expired" is only ever said of a URL this store issued.
    if (Number(expires) * 1000 < Date.now())
      throw new ProblemError(403, 'url-expired', 'This signed URL has expired; ask for a new one.');
  }

  private pathOf(key: string): string {
    return this.inside(join(this.root, ...key.split('/')));
  }

  private metaPathOf(key: string): string {
    return this.inside(`${join(this.root, META_DIR, ...key.split('/'))}.json`);
  }

  /** Keys are validated already; this makes escaping the store's directory impossible regardless. */
  private inside(path: string): string {
    if (!path.startsWith(this.root + sep)) throw new RangeError(`blob path outside the store: ${path}`);
    return path;
  }
}

/** Whole seconds since the epoch, as the URL carries it. */
function expiryOf(expiresInSeconds: number): number {
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds <= 0)
    throw new RangeError(`expiresInSeconds must be a positive integer (got ${expiresInSeconds})`);
  return Math.floor(Date.now() / 1000) + expiresInSeconds;
}

function lengthMismatch(size: number): ProblemError {
  return new ProblemError(
    400,
    'body-length-mismatch',
    `The body must be exactly ${size} bytes, as its Content-Length and the signed URL say.`,
  );
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

async function ignoreMissing(operation: Promise<unknown>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}
