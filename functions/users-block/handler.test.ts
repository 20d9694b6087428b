import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const block = (token: string, userId: string) =>
  server().request('PUT', `/v1/users/${userId}/block`, { token });

describe('users-block', () => {
  it('blocks idempotently and lists the block once', async () => {
    const [me, other] = [await registerAccount(server()), await registerAccount(server())];
    expect((await block(me.accessToken, other.id)).status).toBe(204);
    expect((await block(me.accessToken, other.id)).status).toBe(204);
    const list = await server().request('GET', '/v1/users/me/blocked', { token: me.accessToken });
    expect(list.body.items.map((item: { user: { id: string } }) => item.user.id)).toEqual([other.id]);
  });

  it('refuses self, unknown users and malformed ids', async () => {
    const me = await registerAccount(server());
    expect((await block(me.accessToken, me.id)).status).toBe(400);
    expect((await block(me.accessToken, crypto.randomUUID())).status).toBe(404);
    const malformed = await block(me.accessToken, 'not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors).toEqual([{ field: 'param.userId', message: 'must be a UUID' }]);
  });

  it('needs an access token', async () => {
    expect((await server().request('PUT', `/v1/users/${crypto.randomUUID()}/block`)).status).toBe(401);
  });
});
