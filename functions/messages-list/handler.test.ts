import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup, sendMessage } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const list = (token: string, id: string, query = '') =>
  server().request('GET', `/v1/conversations/${id}/messages${query}`, { token });

describe('messages-list', () => {
  it('pages backwards and forwards by seq without gaps or overlap', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    for (let index = 1; index <= 7; index++) await sendMessage(server(), ana, group.id, `m${index}`);
    const newest = await list(ana.accessToken, group.id, '?limit=3');
    expect(newest.body.items.map((m: { body: string }) => m.body)).toEqual(['m5', 'm6', 'm7']);
    expect(newest.body.lastSeq).toBe(7);
    const older = await list(ana.accessToken, group.id, '?before=5&limit=3');
    expect(older.body.items.map((m: { seq: number }) => m.seq)).toEqual([2, 3, 4]);
    const forward = await list(ana.accessToken, group.id, '?after=4&limit=2');
    expect(forward.body.items.map((m: { seq: number }) => m.seq)).toEqual([5, 6]);
  });

  it('validates the query', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    expect((await list(ana.accessToken, group.id, '?before=1&after=2')).status).toBe(400);
    expect((await list(ana.accessToken, group.id, '?limit=1000')).status).toBe(400);
    expect((await list(ana.accessToken, group.id, '?after=minus')).status).toBe(400);
  });
});
