import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup } from '../../tests/support/conversations';
import { download, presign, uploadFile } from '../../tests/support/drive';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const remove = (token: string, fileId: string) =>
  server().request('DELETE', `/v1/files/${fileId}`, { token });

describe('files-delete', () => {
  it('deletes the object, frees the quota, and ends every share and the avatar', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const file = await uploadFile(server(), ana, {
      name: 'a.png',
      content: 'image',
      contentType: 'image/png',
    });
    await server().request('POST', `/v1/conversations/${group.id}/messages`, {
      token: ana.accessToken,
      body: { clientMessageId: 'm-1', body: 'pic', attachmentFileIds: [file.id] },
    });
    await server().request('PATCH', '/v1/users/me', {
      token: ana.accessToken,
      body: { avatarFileId: file.id },
    });
    const url = (await download(server(), ana, file.id)).body.url;

    expect((await remove(ana.accessToken, file.id)).status).toBe(204);
    expect((await fetch(url)).status).toBe(404);
    expect((await download(server(), ben, file.id)).status).toBe(404);
    const me = await server().request('GET', '/v1/users/me', { token: ana.accessToken });
    expect(me.body.avatarFileId).toBeNull();
    const files = await server().request('GET', '/v1/files', { token: ana.accessToken });
    expect(files.body).toMatchObject({ items: [], usedBytes: 0, reservedBytes: 0 });
    expect((await remove(ana.accessToken, file.id)).status).toBe(404);
  });

  it('frees the reservation of a pending upload', async () => {
    const ana = await registerAccount(server());
    const ticket = await presign(server(), ana, { name: 'p.txt', size: 50, contentType: 'text/plain' });
    expect((await remove(ana.accessToken, ticket.fileId)).status).toBe(204);
    const files = await server().request('GET', '/v1/files', { token: ana.accessToken });
    expect(files.body).toMatchObject({ items: [], reservedBytes: 0 });
  });

  it('is for the owner: 403 for a member it was shared with, 404 for strangers', async () => {
    const [ana, ben, eve] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const group = await createGroup(server(), ana, [ben]);
    const file = await uploadFile(server(), ana);
    await server().request('POST', `/v1/conversations/${group.id}/messages`, {
      token: ana.accessToken,
      body: { clientMessageId: 'm-1', body: 'doc', attachmentFileIds: [file.id] },
    });
    expect((await remove(ben.accessToken, file.id)).status).toBe(403);
    expect((await remove(eve.accessToken, file.id)).status).toBe(404);
    expect((await download(server(), ana, file.id)).status).toBe(200);
  });
});
