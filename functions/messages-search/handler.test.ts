import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup, sendMessage } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const search = (token: string, id: string, q: string) =>
  server().request('GET', `/v1/conversations/${id}/messages/search?q=${encodeURIComponent(q)}`, { token });

describe('messages-search', () => {
  it('finds messages case-insensitively, newest first, treating wildcards literally', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    await sendMessage(server(), ana, group.id, 'Lunch at noon?');
    await sendMessage(server(), ana, group.id, 'dinner instead');
    await sendMessage(server(), ana, group.id, 'LUNCH tomorrow then');
    await sendMessage(server(), ana, group.id, 'we are 100% sure');
    const found = await search(ana.accessToken, group.id, 'lunch');
    expect(found.body.items.map((m: { body: string }) => m.body)).toEqual([
      'LUNCH tomorrow then',
      'Lunch at noon?',
    ]);
    expect(
      (await search(ana.accessToken, group.id, '0%')).body.items.map((m: { body: string }) => m.body),
    ).toEqual(['we are 100% sure']);
    expect((await search(ana.accessToken, group.id, '%_')).body.items).toEqual([]);
  });

  it('is unavailable in E2EE conversations and needs a query', async () => {
    const ana = await registerAccount(server());
    const created = await server().request('POST', '/v1/conversations', {
      token: ana.accessToken,
      body: { type: 'group', title: 'S', e2ee: true },
    });
    expect((await search(ana.accessToken, created.body.id, 'anything')).status).toBe(409);
    const group = await createGroup(server(), ana, []);
    expect(
      (
        await server().request('GET', `/v1/conversations/${group.id}/messages/search`, {
          token: ana.accessToken,
        })
      ).status,
    ).toBe(400);
    expect((await search(ana.accessToken, group.id, 'a')).status).toBe(400);
  });
});
