import { describe, expect, it } from 'vitest';
import { registerAccount, tokenFromMail } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer({ RATE_LIMIT_RESEND_VERIFICATION: '1/600' });
const resend = (token?: string) => server().request('POST', '/v1/auth/verify-email/resend', { token });
const mailsTo = (email: string) => server().smtp.messages.filter((mail) => mail.to.includes(email)).length;

describe('auth-resend-verification', () => {
  it('sends a fresh verification email, then rate-limits the account', async () => {
    const account = await registerAccount(server());
    await tokenFromMail(server(), account.email, /confirm your email/i);
    expect((await resend(account.accessToken)).status).toBe(202);
    await server().smtp.waitFor((mail) => mail.to.includes(account.email) && mailsTo(account.email) === 2);
    const limited = await resend(account.accessToken);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('answers 409 once the address is verified', async () => {
    const account = await registerAccount(server());
    const token = await tokenFromMail(server(), account.email, /confirm your email/i);
    await server().request('POST', '/v1/auth/verify-email', { body: { token } });
    expect((await resend(account.accessToken)).status).toBe(409);
  });

  it('needs an access token', async () => {
    expect((await resend()).status).toBe(401);
  });
});
