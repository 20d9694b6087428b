import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup, sendMessage } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const markRead = (token: string, id: string, seq: unknown) =>
  server().request('POST', `/v1/conversations/${id}/read`, { token, body: { seq } });

describe('conversations-mark-read', () => {
  it('moves the read pointer forward, lowers unread counts and tells the others', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    await sendMessage(server(), ana, group.id);
    const second = await sendMessage(server(), ana, group.id);
    await sendMessage(server(), ana, group.id);
    const response = await markRead(ben.accessToken, group.id, second.seq);
    expect(response.body).toEqual({ readSeq: second.seq });
    const detail = await server().request('GET', `/v1/conversations/${group.id}`, { token: ben.accessToken });
    expect(detail.body).toMatchObject({ readSeq: second.seq, unreadCount: 1 });
    const events = await server().request('GET', `/v1/conversations/${group.id}/events?after=3`, {
      token: ana.accessToken,
    });
    expect(events.body.items).toEqual([
      expect.objectContaining({ event: 'read', data: { userId: ben.id, seq: second.seq } }),
    ]);
  });

  it('never moves backwards and refuses a seq beyond the end', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    await sendMessage(server(), ana, group.id);
    const last = await sendMessage(server(), ana, group.id);
    await markRead(ben.accessToken, group.id, last.seq);
    expect((await markRead(ben.accessToken, group.id, 1)).body).toEqual({ readSeq: last.seq });
    expect((await markRead(ben.accessToken, group.id, 999)).status).toBe(422);
    expect((await markRead(ben.accessToken, group.id, -1)).status).toBe(400);
  });
});
