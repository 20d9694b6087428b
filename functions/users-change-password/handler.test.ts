import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const change = (token: string, body: unknown) =>
  server().request('POST', '/v1/users/me/password', { token, body });
const login = (email: string, password: string) =>
  server().request('POST', '/v1/auth/login', { body: { email, password } });

describe('users-change-password', () => {
  it('changes the password and ends the other sessions, keeping this one', async () => {
    const account = await registerAccount(server());
    const other = await login(account.email, account.password);
    expect(
      (
        await change(account.accessToken, {
          currentPassword: account.password,
          newPassword: 'brand new secret',
        })
      ).status,
    ).toBe(204);
    expect((await server().request('GET', '/v1/users/me', { token: account.accessToken })).status).toBe(200);
    expect((await server().request('GET', '/v1/users/me', { token: other.body.accessToken })).status).toBe(
      401,
    );
    expect((await login(account.email, account.password)).status).toBe(401);
    expect((await login(account.email, 'brand new secret')).status).toBe(200);
  });

  it('refuses a wrong current password with 403 and a weak new one with 400', async () => {
    const account = await registerAccount(server());
    const wrong = await change(account.accessToken, {
      currentPassword: 'not my password',
      newPassword: 'brand new secret',
    });
    expect(wrong.status).toBe(403);
    const weak = await change(account.accessToken, {
      currentPassword: account.password,
      newPassword: 'short',
    });
    expect(weak.status).toBe(400);
    expect(weak.body.errors[0].field).toBe('body.newPassword');
  });

  it('needs an access token', async () => {
    expect((await server().request('POST', '/v1/users/me/password', { body: {} })).status).toBe(401);
  });
});
