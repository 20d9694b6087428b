import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const refresh = (body: unknown) => server().request('POST', '/v1/auth/refresh', { body });

describe('auth-refresh', () => {
  it('rotates: a new pair works and carries the same account', async () => {
    const account = await registerAccount(server());
    const response = await refresh({ refreshToken: account.refreshToken });
    expect(response.status).toBe(200);
    expect(response.body.user.id).toBe(account.id);
    expect(response.body.refreshToken).not.toBe(account.refreshToken);
    expect((await server().request('GET', '/v1/users/me', { token: response.body.accessToken })).status).toBe(
      200,
    );
  });

  it('validates the body', async () => {
    expect((await refresh({})).status).toBe(400);
    expect((await refresh({ refreshToken: 42 })).body.errors).toEqual([
      { field: 'body.refreshToken', message: 'must be a string' },
    ]);
  });

  it('treats a replayed token as theft: the session dies', async () => {
    const account = await registerAccount(server());
    const rotated = await refresh({ refreshToken: account.refreshToken });
    expect((await refresh({ refreshToken: account.refreshToken })).status).toBe(401);
    expect((await server().request('GET', '/v1/users/me', { token: rotated.body.accessToken })).status).toBe(
      401,
    );
  });
});
