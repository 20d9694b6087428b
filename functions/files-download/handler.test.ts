import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup, openDirect } from '../../tests/support/conversations';
import { download, presign, uploadFile } from '../../tests/support/drive';
import { useServer } from '../../tests/support/use-server';

const server = useServer({ DRIVE_DOWNLOAD_URL_TTL_SECONDS: '2' });
const attach = (token: string, conversationId: string, fileIds: string[]) =>
  server().request('POST', `/v1/conversations/${conversationId}/messages`, {
    token,
    body: { clientMessageId: crypto.randomUUID(), body: 'see attached', attachmentFileIds: fileIds },
  });

describe('files-download', () => {
  it('gives the owner a short-lived URL serving the bytes as an attachment', async () => {
    const ana = await registerAccount(server());
    const file = await uploadFile(server(), ana, { name: 'Ünïcode plan.txt', content: 'the plan' });
    const fetched = await download(server(), ana, file.id);
    expect(fetched).toMatchObject({ status: 200, text: 'the plan' });
    expect(fetched.body.file).toMatchObject({ id: file.id, name: 'Ünïcode plan.txt' });
    expect(fetched.headers?.get('content-type')).toBe('text/plain');
    expect(fetched.headers?.get('content-disposition')).toContain(
      "filename*=UTF-8''%C3%9Cn%C3%AFcode%20plan.txt",
    );
    expect(Date.parse(fetched.body.expiresAt) - Date.now()).toBeLessThanOrEqual(2000);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await fetch(fetched.body.url)).status).toBe(403);
  });

  it('lets members of a conversation download what a standing message attached; not strangers', async () => {
    const [ana, ben, eve] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const group = await createGroup(server(), ana, [ben]);
    const file = await uploadFile(server(), ana, { content: 'shared' });
    expect((await download(server(), ben, file.id)).status).toBe(404);
    const message = await attach(ana.accessToken, group.id, [file.id]);
    expect(message.status).toBe(201);
    expect(message.body.attachmentFileIds).toEqual([file.id]);
    expect(await download(server(), ben, file.id)).toMatchObject({ status: 200, text: 'shared' });
    const stranger = await download(server(), eve, file.id);
    const missing = await download(server(), eve, crypto.randomUUID());
    expect([stranger.status, missing.status]).toEqual([404, 404]);
    expect(stranger.body.detail).toBe(missing.body.detail);

    // Deleting the message takes the grant back.
    await server().request('DELETE', `/v1/conversations/${group.id}/messages/${message.body.id}`, {
      token: ana.accessToken,
    });
    expect((await download(server(), ben, file.id)).status).toBe(404);
    expect((await download(server(), ana, file.id)).status).toBe(200);
  });

  it('stops when the member leaves the conversation', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const file = await uploadFile(server(), ana);
    await attach(ana.accessToken, group.id, [file.id]);
    expect((await download(server(), ben, file.id)).status).toBe(200);
    await server().request('DELETE', `/v1/conversations/${group.id}/members/${ben.id}`, {
      token: ben.accessToken,
    });
    expect((await download(server(), ben, file.id)).status).toBe(404);
  });

  it('serves avatars to those who share a conversation with their owner', async () => {
    const [ana, ben, eve] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    await openDirect(server(), ana, ben);
    const picture = await uploadFile(server(), ana, {
      name: 'me.png',
      content: 'PNG…',
      contentType: 'image/png',
    });
    const updated = await server().request('PATCH', '/v1/users/me', {
      token: ana.accessToken,
      body: { avatarFileId: picture.id },
    });
    expect(updated.body.avatarFileId).toBe(picture.id);
    expect((await download(server(), ben, picture.id)).status).toBe(200);
    expect((await download(server(), eve, picture.id)).status).toBe(404);
  });

  it('refuses attachments that are not completed files of the sender', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const bens = await uploadFile(server(), ben);
    const pending = await presign(server(), ana, { name: 'p.txt', size: 3, contentType: 'text/plain' });
    for (const ids of [[bens.id], [pending.fileId], [crypto.randomUUID()]]) {
      const response = await attach(ana.accessToken, group.id, ids);
      expect(response.status).toBe(422);
      expect(response.body.errors[0].field).toBe('body.attachmentFileIds');
    }
    const owner = await download(server(), ana, pending.fileId);
    expect(owner.status).toBe(409);
  });
});
