import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup, sendMessage } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const remove = (token: string, id: string, messageId: string) =>
  server().request('DELETE', `/v1/conversations/${id}/messages/${messageId}`, { token });

describe('messages-delete', () => {
  it('leaves a tombstone and records message.deleted once', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    const message = await sendMessage(server(), ana, group.id, 'regret');
    expect((await remove(ana.accessToken, group.id, message.id)).status).toBe(204);
    expect((await remove(ana.accessToken, group.id, message.id)).status).toBe(204);
    const list = await server().request('GET', `/v1/conversations/${group.id}/messages`, {
      token: ana.accessToken,
    });
    expect(list.body.items).toEqual([
      expect.objectContaining({ id: message.id, body: '', deletedAt: expect.any(String) }),
    ]);
    const events = await server().request('GET', `/v1/conversations/${group.id}/events`, {
      token: ana.accessToken,
    });
    expect(events.body.items.map((event: { event: string }) => event.event)).toEqual([
      'message.created',
      'message.deleted',
    ]);
  });

  it('lets group admins moderate but not other members', async () => {
    const [ana, ben, cy] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const group = await createGroup(server(), ana, [ben, cy]);
    const fromBen = await sendMessage(server(), ben, group.id);
    expect((await remove(cy.accessToken, group.id, fromBen.id)).status).toBe(403);
    expect((await remove(ana.accessToken, group.id, fromBen.id)).status).toBe(204);
    expect((await remove(ana.accessToken, group.id, crypto.randomUUID())).status).toBe(404);
  });
});
