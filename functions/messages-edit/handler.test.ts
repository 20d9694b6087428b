import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup, sendMessage } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const edit = (token: string, id: string, messageId: string, body: unknown) =>
  server().request('PATCH', `/v1/conversations/${id}/messages/${messageId}`, { token, body });

describe('messages-edit', () => {
  it('lets the author edit, marking the message edited and recording message.updated', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const message = await sendMessage(server(), ana, group.id, 'teh typo');
    const edited = await edit(ana.accessToken, group.id, message.id, { body: 'the typo' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      id: message.id,
      seq: message.seq,
      body: 'the typo',
      editedAt: expect.any(String),
    });
    const events = await server().request(
      'GET',
      `/v1/conversations/${group.id}/events?after=${message.seq}`,
      { token: ben.accessToken },
    );
    expect(events.body.items).toEqual([
      expect.objectContaining({ event: 'message.updated', seq: message.seq + 1 }),
    ]);
  });

  it('refuses other members, deleted messages and unknown ids', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const message = await sendMessage(server(), ana, group.id);
    expect((await edit(ben.accessToken, group.id, message.id, { body: 'mine now' })).status).toBe(403);
    expect((await edit(ana.accessToken, group.id, crypto.randomUUID(), { body: 'x' })).status).toBe(404);
    await server().request('DELETE', `/v1/conversations/${group.id}/messages/${message.id}`, {
      token: ana.accessToken,
    });
    expect((await edit(ana.accessToken, group.id, message.id, { body: 'back' })).status).toBe(409);
    expect((await edit(ana.accessToken, group.id, message.id, { body: '' })).status).toBe(400);
  });
});
