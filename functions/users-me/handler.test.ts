import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();

describe('users-me', () => {
  it("returns the caller's own account", async () => {
    const account = await registerAccount(server(), { displayName: 'Me Myself' });
    const response = await server().request('GET', '/v1/users/me', { token: account.accessToken });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: account.id,
      email: account.email,
      displayName: 'Me Myself',
      avatarFileId: null,
      emailVerified: false,
      role: 'user',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('needs a valid access token', async () => {
    expect((await server().request('GET', '/v1/users/me')).status).toBe(401);
    expect((await server().request('GET', '/v1/users/me', { token: 'garbage' })).status).toBe(401);
  });

  it('is also served under /function/users-me', async () => {
    const account = await registerAccount(server());
    const response = await server().request('GET', '/function/users-me/v1/users/me', {
      token: account.accessToken,
    });
    expect(response.body.id).toBe(account.id);
  });
});
