import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup, sendMessage } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const events = (token: string, id: string, query = '') =>
  server().request('GET', `/v1/conversations/${id}/events${query}`, { token });

describe('conversations-events', () => {
  it('returns exactly the events after a seq, in order, so a client can catch up', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const first = await sendMessage(server(), ana, group.id, 'one');
    await sendMessage(server(), ben, group.id, 'two');
    await server().request(
      'PUT',
      `/v1/conversations/${group.id}/messages/${first.id}/reactions/%F0%9F%91%8D`,
      { token: ben.accessToken },
    );
    const all = await events(ben.accessToken, group.id);
    expect(all.body.lastSeq).toBe(3);
    expect(all.body.items.map((event: { seq: number; event: string }) => [event.seq, event.event])).toEqual([
      [1, 'message.created'],
      [2, 'message.created'],
      [3, 'reaction.added'],
    ]);
    expect(all.body.items[0].data.message).toMatchObject({ id: first.id, body: 'one', senderId: ana.id });
    const missed = await events(ben.accessToken, group.id, '?after=1&limit=1');
    expect(missed.body.items.map((event: { seq: number }) => event.seq)).toEqual([2]);
  });

  it('validates after and limit', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    expect((await events(ana.accessToken, group.id, '?after=-1')).status).toBe(400);
    expect((await events(ana.accessToken, group.id, '?limit=0')).status).toBe(400);
  });
});
