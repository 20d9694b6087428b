import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer({ RATE_LIMIT_REGISTER: '3/60', TRUST_PROXY: 'on' });
const register = (body: unknown, ip = '203.0.113.1') =>
  server().request('POST', '/v1/auth/register', { body, headers: { 'x-forwarded-for': ip } });
const email = () => `reg-${crypto.randomUUID()}@example.test`;

describe('auth-register', () => {
  it('creates the account, opens a session and emails a verification link', async () => {
    const address = email();
    const response = await register(
      { email: address, password: 'long enough pass', displayName: '  Ana  ' },
      '203.0.113.10',
    );
    expect(response.status).toBe(201);
    expect(response.body.user).toMatchObject({
      email: address,
      displayName: 'Ana',
      emailVerified: false,
      role: 'user',
      avatarFileId: null,
    });
    expect(response.body).toMatchObject({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresIn: 900,
    });
    expect(JSON.stringify(response.body)).not.toMatch(/long enough pass|argon2/);
    const mail = await server().smtp.waitFor((message) => message.to.includes(address));
    expect(mail.text).toMatch(/verify-email\?token=/);
    expect(mail.text).toContain('Ana');
  });

  it('names each invalid field', async () => {
    const response = await register(
      { email: 'not-an-email', password: 'short', displayName: '' },
      '203.0.113.11',
    );
    expect(response.status).toBe(400);
    expect(response.body.errors.map((error: { field: string }) => error.field).sort()).toEqual([
      'body.displayName',
      'body.email',
      'body.password',
    ]);
    const missing = await register({}, '203.0.113.11');
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual(
      expect.arrayContaining([{ field: 'body.email', message: 'is required' }]),
    );
  });

  it('refuses a second account for the same address, whatever its case', async () => {
    const account = await registerAccount(server(), { email: email() });
    const response = await register(
      { email: account.email.toUpperCase(), password: 'long enough pass', displayName: 'Copy' },
      '203.0.113.12',
    );
    expect(response.status).toBe(409);
    expect(response.body.type).toMatch(/email-taken$/);
  });

  it('limits registrations per IP with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let attempt = 0; attempt < 4; attempt++) {
      const response = await register(
        { email: email(), password: 'long enough pass', displayName: 'Bot' },
        '198.51.100.7',
      );
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});
