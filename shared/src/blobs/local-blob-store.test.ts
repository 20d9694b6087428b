import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readdir, stat } from 'node:fs/promises';
import { request, type Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineFunction } from '../http/define-function';
import { startTestServer, type TestServer } from '../testing/test-server';
import { type BlobStore, objectKey } from './blob-store';
import { describeBlobStoreContract } from './blob-store.contract';
import { BLOB_URL_KEY_FILE, LocalBlobStore } from './local-blob-store';

/** A function that declares the drive's store, so `bootFunctions` opens it (and serves local URLs). */
const usesBlobs = defineFunction({
  name: 'blobs-probe',
  method: 'GET',
  path: '/v1/blobs-probe',
  auth: 'public',
  summary: 'Declares the blob store (tests)',
  tags: ['test'],
  uses: ['blobs'],
  request: {},
  response: { status: 200, schema: v.object({ kind: v.string() }), description: 'The store kind' },
  handle: async (_input, { platform }) => ({ kind: (await platform.blobStore()).kind }),
});

describeBlobStoreContract('local directory (served by the boot-mounted routes)', async () => {
  const server = await startTestServer({ functions: [usesBlobs] });
  return {
    store: await server.server.platform.blobStore(),
    baseUrl: server.url,
    close: () => server.close(),
  };
});

/** A request exactly as written: no client normalizing the path or adding a Content-Length. */
function rawRequest(
  url: string,
  {
    method,
    path,
    headers = {},
    body,
  }: { method: string; path: string; headers?: Record<string, string>; body?: string[] },
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request({ hostname, port, method, path, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: text, headers: response.headers }),
      );
    });
    outgoing.on('error', reject);
    for (const chunk of body ?? []) outgoing.write(chunk);
    outgoing.end();
  });
}

describe('local blob routes', () => {
  let server: TestServer;
  let store: BlobStore;

  beforeAll(async () => {
    // Limits far below what the routes must carry: they are mounted before both.
    server = await startTestServer({
      functions: [usesBlobs],
      env: { BODY_LIMIT_BYTES: '1024', REQUEST_TIMEOUT_MS: '100' },
    });
    store = await server.server.platform.blobStore();
  });
  afterAll(async () => {
    await server?.close();
  });

  const upload = async (key: string, body: Buffer, contentType = 'application/octet-stream') => {
    const signed = await store.signUpload(key, { size: body.length, contentType }, 60);
    return {
      signed,
      response: await fetch(new URL(signed.url, server.url), {
        method: 'PUT',
        headers: signed.headers,
        body,
      }),
    };
  };

  it('keeps its URL key private under DATA_DIR and answers problem+json', async () => {
    const { mode } = await stat(join(server.server.platform.config.DATA_DIR, BLOB_URL_KEY_FILE));
    expect(mode & 0o777).toBe(0o600);
    expect(store).toBeInstanceOf(LocalBlobStore);
    const signed = await store.signDownload(
      objectKey(randomUUID(), randomUUID()),
      { fileName: 'a', contentType: 'text/plain' },
      60,
    );
    const response = await server.request('GET', signed.url.replace(/signature=[^&]+/, 'signature=AAAA'));
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body).toMatchObject({ status: 403, type: expect.stringMatching(/signature-mismatch$/) });
  });

  it.each([
    '/v1/blobs/users/..%2F..%2Fkeys%2Fblob-url.key',
    '/v1/blobs/%2e%2e/%2e%2e/keys/blob-url.key',
    '/v1/blobs/users/%2e%2e/x',
    '/v1/blobs/users//x',
  ])('refuses the path-traversing URL %s', async (path) => {
    // Either the key is refused (400) before any file access, or the URL parser has already
    // resolved the dots to a path inside the store, which no signature covers (403, 404).
    for (const method of ['GET', 'PUT']) {
      const response = await rawRequest(server.url, {
        method,
        path: `${path}?expires=9999999999&signature=x`,
        headers: method === 'PUT' ? { 'content-length': '1', 'content-type': 'text/plain' } : {},
        body: method === 'PUT' ? ['x'] : [],
      });
      expect([400, 403, 404], `${method} ${path}: ${response.body}`).toContain(response.status);
      expect(response.headers['content-type']).toBe('application/problem+json');
    }
  });

  it('answers 411 to an upload without Content-Length (a chunked body)', async () => {
    const key = objectKey(randomUUID(), randomUUID());
    const signed = await store.signUpload(key, { size: 5, contentType: 'text/plain' }, 60);
    const response = await rawRequest(server.url, {
      method: 'PUT',
      path: signed.url,
      headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' },
      body: ['hel', 'lo'],
    });
    expect(response.status).toBe(411);
    expect(JSON.parse(response.body)).toMatchObject({
      status: 411,
      type: expect.stringMatching(/length-required$/),
    });
    expect(await store.head(key)).toBeNull();
  });

  it('stores nothing when the body runs past its Content-Length', async () => {
    // Node's HTTP parser never hands a handler more than Content-Length bytes, so the route's own
    // count is exercised in process, with a Request that says 5 and carries 10.
    const key = objectKey(randomUUID(), randomUUID());
    const signed = await store.signUpload(key, { size: 5, contentType: 'text/plain' }, 60);
    const response = await server.server.app.request(signed.url, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain', 'content-length': '5' },
      body: '0123456789',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: expect.stringMatching(/body-length-mismatch$/) });
    expect(await store.head(key)).toBeNull();
  });

  it('stores nothing, and leaves no temporary file, when the client goes away mid-body', async () => {
    const key = objectKey(randomUUID(), randomUUID());
    const signed = await store.signUpload(key, { size: 100, contentType: 'text/plain' }, 60);
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    await once(socket, 'connect');
    socket.write(
      `PUT ${signed.url} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    const incoming = join(server.server.platform.config.DATA_DIR, 'blobs', '.incoming');
    const deadline = Date.now() + 5000;
    while ((await readdir(incoming)).length > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await readdir(incoming)).toEqual([]);
    expect(await store.head(key)).toBeNull();
  });

  it('carries uploads past BODY_LIMIT_BYTES and REQUEST_TIMEOUT_MS, which guard the functions', async () => {
    const key = objectKey(randomUUID(), randomUUID());
    const body = Buffer.alloc(256 * 1024, 7);
    const signed = await store.signUpload(
      key,
      { size: body.length, contentType: 'application/octet-stream' },
      60,
    );
    // Sent in pieces over longer than the request timeout.
    const chunks = Array.from({ length: 4 }, (_, i) => body.subarray(i * 65536, (i + 1) * 65536));
    const response = await new Promise<number>((resolve, reject) => {
      const { hostname, port } = new URL(server.url);
      const outgoing = request(
        { hostname, port, method: 'PUT', path: signed.url, headers: signed.headers },
        (answer) => {
          answer.resume();
          resolve(answer.statusCode ?? 0);
        },
      );
      outgoing.on('error', reject);
      const next = (index: number) => {
        const chunk = chunks[index];
        if (!chunk) return void outgoing.end();
        outgoing.write(chunk);
        setTimeout(() => next(index + 1), 60);
      };
      next(0);
    });
    expect(response).toBe(200);
    expect(await store.head(key)).toEqual({ size: body.length, contentType: 'application/octet-stream' });
    const download = await store.signDownload(
      key,
      { fileName: 'big.bin', contentType: 'application/octet-stream' },
      60,
    );
    const fetched = await fetch(new URL(download.url, server.url));
    expect(Buffer.from(await fetched.arrayBuffer()).equals(body)).toBe(true);
    // Node's deadline for a whole request is raised to match, or a slow upload would be cut off.
    const { requestTimeout } = server.server.server as Server;
    expect(requestTimeout).toBe(server.server.platform.config.DRIVE_UPLOAD_COMPLETE_WITHIN_SECONDS * 1000);
  });

  it('serves a download with nosniff, and HEAD without reading the body', async () => {
    const key = objectKey(randomUUID(), randomUUID());
    expect((await upload(key, Buffer.from('<html>'), 'text/html')).response.status).toBe(200);
    const signed = await store.signDownload(key, { fileName: 'page.html', contentType: 'text/html' }, 60);
    const url = new URL(signed.url, server.url);
    const get = await fetch(url);
    expect(get.headers.get('x-content-type-options')).toBe('nosniff');
    expect(get.headers.get('content-disposition')).toBe(
      `attachment; filename="page.html"; filename*=UTF-8''page.html`,
    );
    expect(await get.text()).toBe('<html>');
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('6');
    expect(head.headers.get('content-type')).toBe('text/html');
  });

  it('answers 404 problem+json for a signed URL whose object is gone', async () => {
    const key = objectKey(randomUUID(), randomUUID());
    const signed = await store.signDownload(key, { fileName: 'a.txt', contentType: 'text/plain' }, 60);
    const response = await server.request('GET', signed.url);
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ type: expect.stringMatching(/no-such-object$/) });
  });

  it('labels its requests with the route template, never the key', async () => {
    const metrics = await server.server.platform.metrics.registry.metrics();
    expect(metrics).toMatch(/http_requests_total\{[^}]*function="blobs"[^}]*route="\/v1\/blobs\/\*"/);
    expect(metrics).not.toMatch(/route="\/v1\/blobs\/users/);
  });
});
