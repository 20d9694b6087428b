import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();

describe('users-unblock', () => {
  it('lifts a block so lookup finds the user again', async () => {
    const [me, other] = [await registerAccount(server()), await registerAccount(server())];
    await server().request('PUT', `/v1/users/${other.id}/block`, { token: me.accessToken });
    const lookup = () =>
      server().request('GET', `/v1/users/lookup?email=${encodeURIComponent(other.email)}`, {
        token: me.accessToken,
      });
    expect((await lookup()).status).toBe(404);
    expect(
      (await server().request('DELETE', `/v1/users/${other.id}/block`, { token: me.accessToken })).status,
    ).toBe(204);
    expect((await lookup()).status).toBe(200);
  });

  it('is idempotent and validates the id', async () => {
    const me = await registerAccount(server());
    expect(
      (await server().request('DELETE', `/v1/users/${crypto.randomUUID()}/block`, { token: me.accessToken }))
        .status,
    ).toBe(204);
    expect((await server().request('DELETE', '/v1/users/nope/block', { token: me.accessToken })).status).toBe(
      400,
    );
  });

  it("cannot lift someone else's block", async () => {
    const [blocker, blocked] = [await registerAccount(server()), await registerAccount(server())];
    await server().request('PUT', `/v1/users/${blocked.id}/block`, { token: blocker.accessToken });
    await server().request('DELETE', `/v1/users/${blocked.id}/block`, { token: blocked.accessToken });
    await server().request('DELETE', `/v1/users/${blocker.id}/block`, { token: blocked.accessToken });
    const list = await server().request('GET', '/v1/users/me/blocked', { token: blocker.accessToken });
    expect(list.body.items).toHaveLength(1);
  });
});
