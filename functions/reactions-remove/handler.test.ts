import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup, sendMessage } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const reactionPath = (id: string, messageId: string, emoji: string) =>
  `/v1/conversations/${id}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`;

describe('reactions-remove', () => {
  it("removes only the caller's own reaction, idempotently", async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const message = await sendMessage(server(), ana, group.id);
    await server().request('PUT', reactionPath(group.id, message.id, '❤️'), { token: ana.accessToken });
    await server().request('PUT', reactionPath(group.id, message.id, '❤️'), { token: ben.accessToken });
    expect(
      (await server().request('DELETE', reactionPath(group.id, message.id, '❤️'), { token: ben.accessToken }))
        .status,
    ).toBe(204);
    expect(
      (await server().request('DELETE', reactionPath(group.id, message.id, '❤️'), { token: ben.accessToken }))
        .status,
    ).toBe(204);
    const list = await server().request('GET', `/v1/conversations/${group.id}/messages`, {
      token: ana.accessToken,
    });
    expect(list.body.items[0].reactions).toEqual({ '❤️': [ana.id] });
    const events = await server().request(
      'GET',
      `/v1/conversations/${group.id}/events?after=${message.seq}`,
      { token: ana.accessToken },
    );
    expect(events.body.items.map((event: { event: string }) => event.event)).toEqual([
      'reaction.added',
      'reaction.added',
      'reaction.removed',
    ]);
  });
});
