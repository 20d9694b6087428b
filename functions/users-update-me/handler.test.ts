import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
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
});
