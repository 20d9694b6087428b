/**
 * The drive end to end on both blob stores: the embedded directory store (served by the same
 * server) and S3 (s3rver behind a proxy that verifies every SigV4 signature, so a PUT that
 * differs from what was signed is refused as real S3 and MinIO refuse it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFunctions } from '../../scripts/lib/function-catalog';
import { registerAccount } from '../../shared/src/testing/accounts';
import { startS3Endpoint, type TestS3Endpoint } from '../../shared/src/testing/s3';
import { startTestServer, type TestServer } from '../../shared/src/testing/test-server';
import { createGroup } from '../support/conversations';
import { download, presign, put, uploadFile } from '../support/drive';

const functions = await loadFunctions();

describe.each(['local', 's3'] as const)('the drive on the %s blob store', (adapter) => {
  let s3: TestS3Endpoint | undefined;
  const servers: TestServer[] = [];
  /** A server with every function on this adapter; `env` on top. */
  const start = async (env: Record<string, string> = {}) => {
    const server = await startTestServer({ functions, env: { ...s3?.env(), ...env } });
    servers.push(server);
    return server;
  };
  beforeAll(async () => {
    if (adapter === 's3') s3 = await startS3Endpoint();
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await s3?.close();
  });

  it('uploads through a presigned URL that refuses another size or type, verifies, and shares with members only', async () => {
    const server = await start();
    const [ana, ben, eve] = [
      await registerAccount(server),
      await registerAccount(server),
      await registerAccount(server),
    ];
    const ticket = await presign(server, ana, { name: 'report.txt', size: 11, contentType: 'text/plain' });
    expect(new URL(ticket.uploadUrl).origin).toBe(adapter === 's3' ? s3?.url : server.url);
    expect((await put(ticket, 'hello drive, longer')).status).toBe(403);
    expect((await put(ticket, 'hello')).status).toBe(403);
    expect((await put(ticket, 'hello drive', { 'content-type': 'text/html' })).status).toBe(403);
    const missing = await server.request('POST', `/v1/files/${ticket.fileId}/complete`, {
      token: ana.accessToken,
    });
    expect(missing.status).toBe(409);

    expect((await put(ticket, 'hello drive')).status).toBe(200);
    const completed = await server.request('POST', `/v1/files/${ticket.fileId}/complete`, {
      token: ana.accessToken,
    });
    expect(completed.body).toMatchObject({ status: 'ready', size: 11 });

    const group = await createGroup(server, ana, [ben]);
    const sent = await server.request('POST', `/v1/conversations/${group.id}/messages`, {
      token: ana.accessToken,
      body: { clientMessageId: 'with-file', body: 'report attached', attachmentFileIds: [ticket.fileId] },
    });
    expect(sent.status).toBe(201);
    expect(await download(server, ben, ticket.fileId)).toMatchObject({ status: 200, text: 'hello drive' });
    expect((await download(server, eve, ticket.fileId)).status).toBe(404);
  });

  it('completion deletes an object that differs from what was announced and frees its reservation', async () => {
    const server = await start();
    const ana = await registerAccount(server);
    const ticket = await presign(server, ana, { name: 'a.txt', size: 5, contentType: 'text/plain' });
    // Not through the URL (which would refuse it): straight into the store, as a misbehaving one might.
    const store = await server.server.platform.blobStore();
    const forged = await store.signUpload(
      `users/${ana.id}/${ticket.fileId}`,
      { size: 7, contentType: 'text/plain' },
      60,
    );
    const stored = await fetch(new URL(forged.url, server.url), {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: 'seven!!',
    });
    expect(stored.status).toBe(200);
    const rejected = await server.request('POST', `/v1/files/${ticket.fileId}/complete`, {
      token: ana.accessToken,
    });
    expect(rejected.status).toBe(422);
    expect(rejected.body.type).toMatch(/upload-mismatch$/);
    expect(await store.head(`users/${ana.id}/${ticket.fileId}`)).toBeNull();
    const files = await server.request('GET', '/v1/files', { token: ana.accessToken });
    expect(files.body).toMatchObject({ items: [], reservedBytes: 0, usedBytes: 0 });
  });

  it('never exceeds the quota under 20 concurrent presigns, and the sweep frees abandoned reservations', async () => {
    const server = await start({
      DRIVE_QUOTA_BYTES: '1000',
      DRIVE_UPLOAD_URL_TTL_SECONDS: '2',
      DRIVE_UPLOAD_COMPLETE_WITHIN_SECONDS: '2',
      RATE_LIMIT_PRESIGN: '100/60',
    });
    const ana = await registerAccount(server);
    await uploadFile(server, ana, { content: 'x'.repeat(900) });
    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        server.request('POST', '/v1/files', {
          token: ana.accessToken,
          body: { name: `${index}.txt`, size: 10, contentType: 'text/plain' },
        }),
      ),
    );
    const statuses = attempts.map((attempt) => attempt.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(10);
    expect(statuses.filter((status) => status === 409)).toHaveLength(10);
    const full = await server.request('GET', '/v1/files', { token: ana.accessToken });
    expect(full.body).toMatchObject({ usedBytes: 900, reservedBytes: 100, quotaBytes: 1000 });

    await new Promise((resolve) => setTimeout(resolve, 2100));
    const swept = await server.request('POST', '/function/files-sweep');
    expect(swept.body).toMatchObject({ expired: 10, failed: 0 });
    const freed = await server.request('GET', '/v1/files', { token: ana.accessToken });
    expect(freed.body).toMatchObject({ usedBytes: 900, reservedBytes: 0 });
    expect(freed.body.items).toHaveLength(1);
  });

  it("erases the account's objects with the account", async () => {
    const server = await start();
    const ana = await registerAccount(server);
    const files = [await uploadFile(server, ana), await uploadFile(server, ana, { name: 'b.txt' })];
    const erased = await server.request('DELETE', '/v1/users/me', {
      token: ana.accessToken,
      body: { password: ana.password },
    });
    expect(erased.status).toBe(204);
    const store = await server.server.platform.blobStore();
    for (const file of files) expect(await store.head(`users/${ana.id}/${file.id}`)).toBeNull();
  });
});
