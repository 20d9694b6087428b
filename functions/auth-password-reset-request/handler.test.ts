import { describe, expect, it } from 'vitest';
import { registerAccount, tokenFromMail } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const requestReset = (body: unknown) => server().request('POST', '/v1/auth/password-reset', { body });

describe('auth-password-reset-request', () => {
  it('emails a one-time reset link to a known address', async () => {
    const account = await registerAccount(server());
    expect((await requestReset({ email: account.email })).status).toBe(202);
    expect(await tokenFromMail(server(), account.email, /reset your password/i)).toMatch(/^[\w-]{20,}$/);
  });

  it('answers 202 and sends nothing for an unknown address', async () => {
    const email = `ghost-${crypto.randomUUID()}@example.test`;
    expect((await requestReset({ email })).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server().smtp.messages.some((mail) => mail.to.includes(email))).toBe(false);
  });

  it('validates the address', async () => {
    const response = await requestReset({ email: 'nope' });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'body.email', message: 'must be an email address' }]);
  });
});
