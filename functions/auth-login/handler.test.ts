import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer({ RATE_LIMIT_LOGIN: '4/60', TRUST_PROXY: 'on' });
const login = (body: unknown, ip = '203.0.113.20') =>
  server().request('POST', '/v1/auth/login', { body, headers: { 'x-forwarded-for': ip } });

describe('auth-login', () => {
  it('logs in with the email in any case and returns a new session', async () => {
    const account = await registerAccount(server());
    const response = await login({ email: account.email.toUpperCase(), password: account.password });
    expect(response.status).toBe(200);
    expect(response.body.user).toMatchObject({ id: account.id, email: account.email });
    expect(response.body.refreshToken).not.toBe(account.refreshToken);
    const me = await server().request('GET', '/v1/users/me', { token: response.body.accessToken });
    expect(me.status).toBe(200);
  });

  it('names missing fields and refuses a non-JSON body', async () => {
    const missing = await login({ email: 'a@example.test' }, '203.0.113.21');
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([{ field: 'body.password', message: 'is required' }]);
    const form = await server().request('POST', '/v1/auth/login', {
      rawBody: 'email=a@example.test&password=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
  });

  it('limits attempts per IP, whatever the account', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      statuses.push(
        (await login({ email: `x${attempt}@example.test`, password: 'nope nope' }, '198.51.100.20')).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    // Another IP is unaffected.
    expect((await login({ email: 'x@example.test', password: 'nope nope' }, '198.51.100.21')).status).toBe(
      401,
    );
  });
});
