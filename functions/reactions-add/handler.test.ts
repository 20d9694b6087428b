import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup, sendMessage } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const react = (token: string, id: string, messageId: string, emoji: string) =>
  server().request(
    'PUT',
    `/v1/conversations/${id}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`,
    { token },
  );

describe('reactions-add', () => {
  it('adds a reaction once per user and emoji and shows it on the message', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const message = await sendMessage(server(), ana, group.id);
    expect((await react(ben.accessToken, group.id, message.id, '👍')).status).toBe(204);
    expect((await react(ben.accessToken, group.id, message.id, '👍')).status).toBe(204);
    expect((await react(ana.accessToken, group.id, message.id, '👍')).status).toBe(204);
    expect((await react(ana.accessToken, group.id, message.id, '🎉')).status).toBe(204);
    const list = await server().request('GET', `/v1/conversations/${group.id}/messages`, {
      token: ana.accessToken,
    });
    expect(list.body.items[0].reactions).toEqual({ '👍': [ben.id, ana.id], '🎉': [ana.id] });
    const events = await server().request(
      'GET',
      `/v1/conversations/${group.id}/events?after=${message.seq}`,
      { token: ben.accessToken },
    );
    expect(events.body.items.map((event: { event: string }) => event.event)).toEqual([
      'reaction.added',
      'reaction.added',
      'reaction.added',
    ]);
  });

  it('refuses more than one symbol, deleted messages and unknown messages', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    const message = await sendMessage(server(), ana, group.id);
    expect((await react(ana.accessToken, group.id, message.id, '👍👍')).status).toBe(400);
    expect((await react(ana.accessToken, group.id, crypto.randomUUID(), '👍')).status).toBe(404);
    await server().request('DELETE', `/v1/conversations/${group.id}/messages/${message.id}`, {
      token: ana.accessToken,
    });
    expect((await react(ana.accessToken, group.id, message.id, '👍')).status).toBe(409);
  });
});
