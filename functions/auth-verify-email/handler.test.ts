import { describe, expect, it } from 'vitest';
import { registerAccount, tokenFromMail } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const verify = (body: unknown) => server().request('POST', '/v1/auth/verify-email', { body });

describe('auth-verify-email', () => {
  it('marks the address verified with the emailed token, once', async () => {
    const account = await registerAccount(server());
    const token = await tokenFromMail(server(), account.email, /confirm your email/i);
    expect((await verify({ token })).status).toBe(204);
    const me = await server().request('GET', '/v1/users/me', { token: account.accessToken });
    expect(me.body.emailVerified).toBe(true);
    expect((await verify({ token })).status).toBe(400);
  });

  it('refuses unknown and missing tokens, naming the field', async () => {
    const unknown = await verify({ token: 'made-up' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([
      { field: 'body.token', message: 'is invalid, expired or already used' },
    ]);
    expect((await verify({})).status).toBe(400);
  });

  it('does not accept a password-reset token', async () => {
    const account = await registerAccount(server());
    await server().request('POST', '/v1/auth/password-reset', { body: { email: account.email } });
    const resetToken = await tokenFromMail(server(), account.email, /reset your password/i);
    expect((await verify({ token: resetToken })).status).toBe(400);
  });
});
