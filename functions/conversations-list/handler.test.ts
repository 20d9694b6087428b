import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup, openDirect, sendMessage } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const list = (token: string, query = '') => server().request('GET', `/v1/conversations${query}`, { token });

describe('conversations-list', () => {
  it('lists the most recently active first with preview, lastSeq and unread count', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const direct = await openDirect(server(), ana, ben);
    const group = await createGroup(server(), ana, [ben]);
    await sendMessage(server(), ben, direct.id, 'hello ana');
    await sendMessage(server(), ben, direct.id, 'are you there?');
    const listed = await list(ana.accessToken);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item: { id: string }) => item.id)).toEqual([direct.id, group.id]);
    expect(listed.body.items[0]).toMatchObject({
      lastSeq: 2,
      unreadCount: 2,
      lastMessage: { senderId: ben.id, preview: 'are you there?' },
    });
    const forBen = (await list(ben.accessToken)).body.items.find(
      (item: { id: string }) => item.id === direct.id,
    );
    expect(forBen.unreadCount).toBe(0);
  });

  it('hides previews in E2EE conversations', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const created = await server().request('POST', '/v1/conversations', {
      token: ana.accessToken,
      body: { type: 'group', title: 'Secret', memberIds: [ben.id], e2ee: true },
    });
    await sendMessage(server(), ben, created.body.id, 'Y2lwaGVydGV4dA==');
    const item = (await list(ana.accessToken)).body.items[0];
    expect(item).toMatchObject({ e2ee: true, lastMessage: { preview: null }, unreadCount: 1 });
  });

  it('pages with a cursor, each conversation once', async () => {
    const ana = await registerAccount(server());
    const ids = [];
    for (let index = 0; index < 5; index++) ids.push((await createGroup(server(), ana, [], `G${index}`)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(ana.accessToken, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('refuses cursors it did not issue, without asking the database', async () => {
    const ana = await registerAccount(server());
    for (const position of [
      { at: 'Invalid Date', id: crypto.randomUUID() },
      { at: '2026-01-01T00:00:00Z', id: 'nope' },
    ]) {
      const forged = Buffer.from(JSON.stringify(position)).toString('base64url');
      const response = await list(ana.accessToken, `?cursor=${forged}`);
      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('query.cursor');
    }
  });

  it("shows only the caller's conversations", async () => {
    const [ana, ben, cy] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    await createGroup(server(), ana, [ben]);
    expect((await list(cy.accessToken)).body).toEqual({ items: [], nextCursor: null });
  });
});
