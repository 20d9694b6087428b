import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer({ GROUP_MAX_MEMBERS: '3' });
const create = (token: string, body: unknown) =>
  server().request('POST', '/v1/conversations', { token, body });

describe('conversations-create', () => {
  it('opens one direct conversation per pair, from either side', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const first = await create(ana.accessToken, { type: 'direct', userId: ben.id });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      type: 'direct',
      title: null,
      lastSeq: 0,
      unreadCount: 0,
      memberCount: 2,
    });
    const again = await create(ana.accessToken, { type: 'direct', userId: ben.id });
    const reverse = await create(ben.accessToken, { type: 'direct', userId: ana.id });
    expect([again.status, reverse.status]).toEqual([200, 200]);
    expect(new Set([first.body.id, again.body.id, reverse.body.id]).size).toBe(1);
  });

  it('stays unique when both users open it at the same moment', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const responses = await Promise.all([
      create(ana.accessToken, { type: 'direct', userId: ben.id }),
      create(ben.accessToken, { type: 'direct', userId: ana.id }),
      create(ana.accessToken, { type: 'direct', userId: ben.id }),
    ]);
    expect(new Set(responses.map((response) => response.body.id)).size).toBe(1);
    expect(responses.filter((response) => response.status === 201)).toHaveLength(1);
  });

  it('refuses a direct conversation across a block, without telling the blocked user', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    await server().request('PUT', `/v1/users/${ana.id}/block`, { token: ben.accessToken });
    expect((await create(ana.accessToken, { type: 'direct', userId: ben.id })).status).toBe(404);
    expect((await create(ben.accessToken, { type: 'direct', userId: ana.id })).status).toBe(409);
  });

  it('creates a group owned by its creator', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await create(ana.accessToken, {
      type: 'group',
      title: ' Team ',
      memberIds: [ben.id, ben.id, ana.id],
    });
    expect(group.status).toBe(201);
    expect(group.body).toMatchObject({
      type: 'group',
      title: 'Team',
      role: 'owner',
      memberCount: 2,
      e2ee: false,
    });
    expect(group.body.members).toEqual([
      expect.objectContaining({ userId: ana.id, role: 'owner' }),
      expect.objectContaining({ userId: ben.id, role: 'member' }),
    ]);
  });

  it('validates the request: type, ids, title, size limit, unknown users, self', async () => {
    const ana = await registerAccount(server());
    expect((await create(ana.accessToken, { type: 'channel' })).status).toBe(400);
    expect((await create(ana.accessToken, { type: 'direct', userId: 'nope' })).body.errors[0].field).toBe(
      'body.userId',
    );
    expect((await create(ana.accessToken, { type: 'group', title: '  ' })).body.errors[0].field).toBe(
      'body.title',
    );
    expect((await create(ana.accessToken, { type: 'direct', userId: ana.id })).status).toBe(400);
    expect((await create(ana.accessToken, { type: 'direct', userId: crypto.randomUUID() })).status).toBe(404);
    const unknown = await create(ana.accessToken, {
      type: 'group',
      title: 'G',
      memberIds: [crypto.randomUUID()],
    });
    expect(unknown.status).toBe(422);
    const others = await Promise.all([1, 2, 3].map(() => registerAccount(server())));
    const tooBig = await create(ana.accessToken, {
      type: 'group',
      title: 'G',
      memberIds: others.map((other) => other.id),
    });
    expect(tooBig.status).toBe(422);
  });

  it('needs an access token', async () => {
    expect(
      (await server().request('POST', '/v1/conversations', { body: { type: 'group', title: 'x' } })).status,
    ).toBe(401);
  });
});
