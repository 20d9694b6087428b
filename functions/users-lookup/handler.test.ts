import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const lookup = (token: string, email: string) =>
  server().request('GET', `/v1/users/lookup?email=${encodeURIComponent(email)}`, { token });

describe('users-lookup', () => {
  it('finds a user by exact email, case-insensitively, showing public fields only', async () => {
    const [me, other] = [
      await registerAccount(server()),
      await registerAccount(server(), { displayName: 'Other' }),
    ];
    const response = await lookup(me.accessToken, other.email.toUpperCase());
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id: other.id, displayName: 'Other', avatarFileId: null });
  });

  it('does not match partially and validates the query', async () => {
    const [me, other] = [await registerAccount(server()), await registerAccount(server())];
    expect((await lookup(me.accessToken, other.email.slice(1))).status).toBe(404);
    const missing = await server().request('GET', '/v1/users/lookup', { token: me.accessToken });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([{ field: 'query.email', message: 'is required' }]);
  });

  it('hides users in either direction of a block', async () => {
    const [me, blocker, blocked] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    await server().request('PUT', `/v1/users/${me.id}/block`, { token: blocker.accessToken });
    await server().request('PUT', `/v1/users/${blocked.id}/block`, { token: me.accessToken });
    expect((await lookup(me.accessToken, blocker.email)).status).toBe(404);
    expect((await lookup(me.accessToken, blocked.email)).status).toBe(404);
    expect((await lookup(blocked.accessToken, me.email)).status).toBe(404);
  });

  it('needs an access token', async () => {
    expect((await server().request('GET', '/v1/users/lookup?email=a@example.test')).status).toBe(401);
  });
});
