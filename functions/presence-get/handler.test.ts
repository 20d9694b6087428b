import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const presence = (token: string, ids: string[] | string) =>
  server().request('GET', `/v1/presence?userIds=${Array.isArray(ids) ? ids.join(',') : ids}`, { token });

describe('presence-get', () => {
  it('shows the status of users sharing a conversation, offline when not connected', async () => {
    const [ana, ben, cy] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    await createGroup(server(), ana, [ben, cy]);
    await (await server().server.platform.presence()).set(ben.id, 'away');
    const response = await presence(ana.accessToken, [ben.id, cy.id, ana.id]);
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([
      { userId: ben.id, status: 'away' },
      { userId: cy.id, status: 'offline' },
      { userId: ana.id, status: 'offline' },
    ]);
  });

  it('leaves out users the caller shares no conversation with', async () => {
    const [ana, stranger] = [await registerAccount(server()), await registerAccount(server())];
    await (await server().server.platform.presence()).set(stranger.id, 'online');
    expect((await presence(ana.accessToken, [stranger.id])).body).toEqual({ items: [] });
  });

  it('validates the list', async () => {
    const ana = await registerAccount(server());
    expect((await server().request('GET', '/v1/presence', { token: ana.accessToken })).status).toBe(400);
    expect((await presence(ana.accessToken, 'not-a-uuid')).status).toBe(400);
    const many = Array.from({ length: 101 }, () => crypto.randomUUID());
    expect((await presence(ana.accessToken, many)).status).toBe(400);
  });
});
