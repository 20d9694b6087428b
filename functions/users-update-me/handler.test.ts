import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { uploadFile } from '../../tests/support/drive';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const update = (token: string, body: unknown) => server().request('PATCH', '/v1/users/me', { token, body });

describe('users-update-me', () => {
  it('changes the display name', async () => {
    const account = await registerAccount(server());
    const response = await update(account.accessToken, { displayName: '  New Name ' });
    expect(response.status).toBe(200);
    expect(response.body.displayName).toBe('New Name');
    expect(
      (await server().request('GET', '/v1/users/me', { token: account.accessToken })).body.displayName,
    ).toBe('New Name');
  });

  it('refuses empty changes, blank or oversize names and control characters', async () => {
    const account = await registerAccount(server());
    expect((await update(account.accessToken, {})).status).toBe(400);
    for (const displayName of ['   ', 'x'.repeat(65), 'bad\u0007name']) {
      const response = await update(account.accessToken, { displayName });
      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('body.displayName');
    }
  });

  it('refuses an avatar that is not a file the caller owns, and cannot escalate role or email', async () => {
    const account = await registerAccount(server());
    const avatar = await update(account.accessToken, { avatarFileId: crypto.randomUUID() });
    expect(avatar.status).toBe(422);
    const sneaky = await update(account.accessToken, {
      displayName: 'Sneaky',
      role: 'admin',
      email: 'other@example.test',
    });
    expect(sneaky.status).toBe(200);
    expect(sneaky.body).toMatchObject({ role: 'user', email: account.email, displayName: 'Sneaky' });
  });

  it("sets the avatar to a completed image of the caller's own, and clears it with null", async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const picture = await uploadFile(server(), ana, {
      name: 'me.png',
      content: 'png',
      contentType: 'image/png',
    });
    const text = await uploadFile(server(), ana, { name: 'cv.txt' });
    const bens = await uploadFile(server(), ben, { name: 'ben.png', contentType: 'image/png' });
    for (const avatarFileId of [text.id, bens.id]) {
      const refused = await update(ana.accessToken, { avatarFileId });
      expect(refused.status).toBe(422);
      expect(refused.body.errors).toEqual([
        { field: 'body.avatarFileId', message: 'is not a completed image file of yours' },
      ]);
    }
    expect((await update(ana.accessToken, { avatarFileId: picture.id })).body.avatarFileId).toBe(picture.id);
    expect((await update(ana.accessToken, { avatarFileId: null })).body.avatarFileId).toBeNull();
  });
});
