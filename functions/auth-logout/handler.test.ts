import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();

describe('auth-logout', () => {
  it('ends this session only', async () => {
    const account = await registerAccount(server());
    const other = await server().request('POST', '/v1/auth/login', {
      body: { email: account.email, password: account.password },
    });
    expect((await server().request('POST', '/v1/auth/logout', { token: account.accessToken })).status).toBe(
      204,
    );
    expect((await server().request('GET', '/v1/users/me', { token: account.accessToken })).status).toBe(401);
    expect(
      (await server().request('POST', '/v1/auth/refresh', { body: { refreshToken: account.refreshToken } }))
        .status,
    ).toBe(401);
    expect((await server().request('GET', '/v1/users/me', { token: other.body.accessToken })).status).toBe(
      200,
    );
  });

  it('needs an access token', async () => {
    expect((await server().request('POST', '/v1/auth/logout')).status).toBe(401);
  });

  it('cannot be repeated with the same token', async () => {
    const account = await registerAccount(server());
    await server().request('POST', '/v1/auth/logout', { token: account.accessToken });
    expect((await server().request('POST', '/v1/auth/logout', { token: account.accessToken })).status).toBe(
      401,
    );
  });
});
