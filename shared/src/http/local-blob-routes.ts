import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { type Context, Hono } from 'hono';
import { assertBlobKey, attachmentDisposition, type BlobStore } from '../blobs/blob-store';
import { BLOB_ROUTE_PREFIX, LocalBlobStore } from '../blobs/local-blob-store';
import { ProblemError } from '../errors/problem';
import type { AppEnv } from './app-env';

const ROUTE = `${BLOB_ROUTE_PREFIX}/*`;

const noSuchObject = () => new ProblemError(404, 'no-such-object', 'Nothing is stored at this URL.');

/**
 * The object key a request names, decoded segment by segment and validated before any file
 * access: `..`, `%2e%2e` or `..%2f` in any form leaves a segment no key may have.
 */
function keyOf(c: Context<AppEnv>): string {
  const path = c.req.path.slice(BLOB_ROUTE_PREFIX.length + 1);
  try {
    const key = path.split('/').map(decodeURIComponent).join('/');
    assertBlobKey(key);
    return key;
  } catch {
    throw new ProblemError(400, 'invalid-key', 'This is not a blob URL this server issues.');
  }
}

/**
 * Serves the embedded store's signed URLs (SPEC §4: "a local-filesystem blob store whose signed
 * URLs the dev server verifies and serves"): `PUT` stores a body, `GET` and `HEAD` read it back.
 * Each request is checked the way S3 checks a presigned one — the HMAC first, in constant time,
 * then the expiry — and refused with 403 problem+json otherwise.
 *
 * Mounted by `bootFunctions` before the global body-size limit and request timeout (an upload may
 * be far larger and slower than either allows); the body is bounded here instead, by the signed
 * Content-Length.
 */
export function localBlobRoutes(openStore: () => Promise<BlobStore>): Hono<AppEnv> {
  const local = async () => {
    const store = await openStore();
    if (!(store instanceof LocalBlobStore))
      throw new Error('local blob routes mounted without the local store');
    return store;
  };

  return new Hono<AppEnv>()
    .use(ROUTE, async (c, next) => {
      // Keys stay out of metrics labels; the wide log line still has the path.
      c.set('functionName', 'blobs');
      c.set('route', ROUTE);
      await next();
    })
    .put(ROUTE, async (c) => {
      const key = keyOf(c);
      const length = c.req.header('content-length');
      if (length === undefined)
        throw new ProblemError(
          411,
          'length-required',
          'An upload needs a Content-Length: the signed URL covers it.',
        );
      const contentType = c.req.header('content-type');
      const store = await local();
      store.verifyUpload(key, {
        expires: c.req.query('expires'),
        signature: c.req.query('signature'),
        size: length,
        contentType,
      });
      const body = c.req.raw.body;
      await store.write(
        key,
        body ? Readable.fromWeb(body as NodeReadableStream) : Readable.from([]),
        Number(length),
        contentType ?? '',
      );
      return c.body(null, 200);
    })
    .get(ROUTE, async (c) => {
      const key = keyOf(c);
      const fileName = c.req.query('name');
      const contentType = c.req.query('type');
      const store = await local();
      store.verifyDownload(key, {
        expires: c.req.query('expires'),
        signature: c.req.query('signature'),
        fileName,
        contentType,
      });
      const headers = (size: number) => ({
        'content-type': contentType ?? '',
        'content-length': String(size),
        'content-disposition': attachmentDisposition(fileName ?? ''),
        'x-content-type-options': 'nosniff',
      });
      // Hono answers HEAD through the GET route; reading the file would be wasted.
      if (c.req.method === 'HEAD') {
        const head = await store.head(key);
        if (!head) throw noSuchObject();
        return c.body(null, 200, headers(head.size));
      }
      const blob = await store.read(key);
      if (!blob) throw noSuchObject();
      return c.body(Readable.toWeb(blob.stream) as ReadableStream, 200, headers(blob.size));
    });
}
