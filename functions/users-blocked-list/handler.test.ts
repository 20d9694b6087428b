import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const list = (token: string, query = '') =>
  server().request('GET', `/v1/users/me/blocked${query}`, { token });

describe('users-blocked-list', () => {
  it('pages through blocked users, newest first, each exactly once', async () => {
    const me = await registerAccount(server());
    const others = [];
    for (let index = 0; index < 5; index++) {
      const other = await registerAccount(server());
      others.push(other.id);
      await server().request('PUT', `/v1/users/${other.id}/block`, { token: me.accessToken });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(me.accessToken, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((item: { user: { id: string } }) => item.user.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...others].reverse());
  });

  it('validates limit and cursor', async () => {
    const me = await registerAccount(server());
    expect((await list(me.accessToken, '?limit=0')).status).toBe(400);
    expect((await list(me.accessToken, '?limit=101')).status).toBe(400);
    const cursor = await list(me.accessToken, '?cursor=garbage');
    expect(cursor.status).toBe(400);
    expect(cursor.body.errors[0].field).toBe('query.cursor');
    // Well-formed cursors whose values no query could take: refused, never sent to the database.
    for (const position of [
      { at: 'Invalid Date', id: crypto.randomUUID() },
      { at: '2026-01-01 00:00:00+00', id: 'x' },
    ]) {
      const forged = Buffer.from(JSON.stringify(position)).toString('base64url');
      expect((await list(me.accessToken, `?cursor=${forged}`)).status).toBe(400);
    }
  });

  it("shows only the caller's own blocks", async () => {
    const [me, other, third] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    await server().request('PUT', `/v1/users/${third.id}/block`, { token: other.accessToken });
    expect((await list(me.accessToken)).body).toEqual({ items: [], nextCursor: null });
  });
});
