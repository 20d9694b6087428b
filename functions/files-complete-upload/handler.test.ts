import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { metricValue } from '../../shared/src/testing/observability';
import { presign, put } from '../../tests/support/drive';
import { useServer } from '../../tests/support/use-server';

const server = useServer({ DRIVE_QUOTA_BYTES: '100' });
const complete = (token: string, fileId: string) =>
  server().request('POST', `/v1/files/${fileId}/complete`, { token });
const usage = async (token: string) => {
  const { usedBytes, reservedBytes } = (await server().request('GET', '/v1/files', { token })).body;
  return { usedBytes, reservedBytes };
};

describe('files-complete-upload', () => {
  it('counts the file once the stored object matches; completing again answers the same', async () => {
    const ana = await registerAccount(server());
    const ticket = await presign(server(), ana, { name: 'a.txt', size: 5, contentType: 'text/plain' });
    expect((await put(ticket, 'hello')).status).toBe(200);
    const stored = server().server.platform.metrics.filesUploadedTotal;
    const before = await metricValue(stored, { outcome: 'stored' });
    const response = await complete(ana.accessToken, ticket.fileId);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: ticket.fileId,
      status: 'ready',
      size: 5,
      completedAt: expect.any(String),
    });
    expect(await usage(ana.accessToken)).toEqual({ usedBytes: 5, reservedBytes: 0 });
    expect((await complete(ana.accessToken, ticket.fileId)).body).toEqual(response.body);
    expect(await usage(ana.accessToken)).toEqual({ usedBytes: 5, reservedBytes: 0 });
    expect(await metricValue(stored, { outcome: 'stored' })).toBe(before + 1);
  });

  it('says when nothing was uploaded yet, and keeps the reservation for the upload to come', async () => {
    const ana = await registerAccount(server());
    const ticket = await presign(server(), ana, { name: 'a.txt', size: 5, contentType: 'text/plain' });
    const early = await complete(ana.accessToken, ticket.fileId);
    expect(early.status).toBe(409);
    expect(early.body.type).toMatch(/upload-missing$/);
    expect(await usage(ana.accessToken)).toEqual({ usedBytes: 0, reservedBytes: 5 });
    await put(ticket, 'hello');
    expect((await complete(ana.accessToken, ticket.fileId)).status).toBe(200);
  });

  it("is the owner's alone: others get 404, as for a file that does not exist", async () => {
    const [ana, eve] = [await registerAccount(server()), await registerAccount(server())];
    const ticket = await presign(server(), ana, { name: 'a.txt', size: 5, contentType: 'text/plain' });
    await put(ticket, 'hello');
    const foreign = await complete(eve.accessToken, ticket.fileId);
    const missing = await complete(eve.accessToken, crypto.randomUUID());
    expect([foreign.status, missing.status]).toEqual([404, 404]);
    expect(foreign.body.detail).toBe(missing.body.detail);
    expect((await complete(ana.accessToken, 'nope')).status).toBe(400);
    expect(await usage(ana.accessToken)).toEqual({ usedBytes: 0, reservedBytes: 5 });
  });
});
