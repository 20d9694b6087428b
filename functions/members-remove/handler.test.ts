import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const remove = (token: string, id: string, userId: string) =>
  server().request('DELETE', `/v1/conversations/${id}/members/${userId}`, { token });
const get = (token: string, id: string) => server().request('GET', `/v1/conversations/${id}`, { token });

describe('members-remove', () => {
  it('lets admins remove members, who then lose access', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    expect((await remove(ana.accessToken, group.id, ben.id)).status).toBe(204);
    expect((await get(ben.accessToken, group.id)).status).toBe(404);
    const events = await server().request('GET', `/v1/conversations/${group.id}/events`, {
      token: ana.accessToken,
    });
    expect(events.body.items.at(-1)).toMatchObject({
      event: 'member.removed',
      data: { userId: ben.id, left: false },
    });
  });

  it('lets anyone leave; a leaving owner hands ownership to the longest-serving admin', async () => {
    const [ana, ben, cy] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const group = await createGroup(server(), ana, [ben, cy]);
    await server().request('PATCH', `/v1/conversations/${group.id}/members/${cy.id}`, {
      token: ana.accessToken,
      body: { role: 'admin' },
    });
    expect((await remove(ana.accessToken, group.id, ana.id)).status).toBe(204);
    const after = await get(cy.accessToken, group.id);
    expect(after.body.role).toBe('owner');
    expect((await remove(ben.accessToken, group.id, ben.id)).status).toBe(204);
  });

  it('refuses plain members removing others, and unknown members', async () => {
    const [ana, ben, cy] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const group = await createGroup(server(), ana, [ben, cy]);
    expect((await remove(ben.accessToken, group.id, cy.id)).status).toBe(403);
    expect((await remove(ana.accessToken, group.id, crypto.randomUUID())).status).toBe(404);
    expect((await get(cy.accessToken, group.id)).status).toBe(200);
  });
});
