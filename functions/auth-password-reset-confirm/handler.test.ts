import { describe, expect, it } from 'vitest';
import { registerAccount, tokenFromMail } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const confirm = (body: unknown) => server().request('POST', '/v1/auth/password-reset/confirm', { body });

async function resetToken(email: string) {
  await server().request('POST', '/v1/auth/password-reset', { body: { email } });
  return tokenFromMail(server(), email, /reset your password/i);
}

describe('auth-password-reset-confirm', () => {
  it('sets the new password and ends every session', async () => {
    const account = await registerAccount(server());
    const token = await resetToken(account.email);
    expect((await confirm({ token, newPassword: 'the new passphrase' })).status).toBe(204);
    expect((await server().request('GET', '/v1/users/me', { token: account.accessToken })).status).toBe(401);
    const oldLogin = await server().request('POST', '/v1/auth/login', {
      body: { email: account.email, password: account.password },
    });
    expect(oldLogin.status).toBe(401);
    const newLogin = await server().request('POST', '/v1/auth/login', {
      body: { email: account.email, password: 'the new passphrase' },
    });
    expect(newLogin.status).toBe(200);
  });

  it('refuses a weak password without spending the token', async () => {
    const account = await registerAccount(server());
    const token = await resetToken(account.email);
    const weak = await confirm({ token, newPassword: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body.errors).toEqual([
      { field: 'body.newPassword', message: 'must be at least 8 characters' },
    ]);
    expect((await confirm({ token, newPassword: 'long enough now' })).status).toBe(204);
  });

  it('refuses a verification token and a made-up one', async () => {
    const account = await registerAccount(server());
    const verifyToken = await tokenFromMail(server(), account.email, /confirm your email/i);
    expect((await confirm({ token: verifyToken, newPassword: 'long enough now' })).status).toBe(400);
    expect((await confirm({ token: 'made-up', newPassword: 'long enough now' })).status).toBe(400);
  });
});
