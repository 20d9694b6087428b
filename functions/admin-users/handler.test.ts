import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { registerAdmin } from '../../tests/support/admin';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const list = (token: string, query = '') => server().request('GET', `/v1/admin/users${query}`, { token });
const ids = (body: { items: Array<{ id: string }> }) => body.items.map((item) => item.id);

describe('admin-users', () => {
  it('pages through every user, newest first, each exactly once', async () => {
    const admin = await registerAdmin(server());
    const tag = crypto.randomUUID().slice(0, 8);
    const created: string[] = [];
    for (let index = 0; index < 5; index++)
      created.push((await registerAccount(server(), { displayName: `Pager ${tag}` })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(admin.accessToken, `?q=${tag}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...ids(page.body));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...created].reverse());
  });

  it('describes each user as admins see them', async () => {
    const admin = await registerAdmin(server());
    const user = await registerAccount(server(), { displayName: 'Described' });
    const page = await list(admin.accessToken, `?q=${encodeURIComponent(user.email)}`);
    expect(page.body.items).toEqual([
      {
        id: user.id,
        email: user.email,
        displayName: 'Described',
        role: 'user',
        status: 'active',
        emailVerified: false,
        createdAt: expect.any(String),
        lastActiveAt: expect.any(String),
      },
    ]);
    const [item] = page.body.items;
    expect(Date.parse(item.lastActiveAt)).toBeGreaterThanOrEqual(Date.parse(item.createdAt));
  });

  it('finds by email prefix and by display-name substring, ignoring case, LIKE characters literally', async () => {
    const admin = await registerAdmin(server());
    const tag = crypto.randomUUID().slice(0, 8);
    const byEmail = await registerAccount(server(), { email: `prefix-${tag}@example.test` });
    const byName = await registerAccount(server(), { displayName: `Ms ${tag.toUpperCase()} Smith` });
    const percent = await registerAccount(server(), { displayName: `100% ${tag}` });

    expect(ids((await list(admin.accessToken, `?q=PREFIX-${tag}`)).body)).toEqual([byEmail.id]);
    // An email matches from its start only; a display name anywhere.
    expect(ids((await list(admin.accessToken, `?q=${tag}@example`)).body)).toEqual([]);
    expect(ids((await list(admin.accessToken, `?q=${tag}`)).body)).toEqual([percent.id, byName.id]);
    expect(ids((await list(admin.accessToken, `?q=s%20${tag}%20sm`)).body)).toEqual([byName.id]);
    expect(ids((await list(admin.accessToken, `?q=${encodeURIComponent(`0% ${tag}`)}`)).body)).toEqual([
      percent.id,
    ]);
    // `%` and `_` match only themselves: neither finds every user.
    expect(
      (await list(admin.accessToken, '?q=%25')).body.items.map((item: { id: string }) => item.id),
    ).toEqual([percent.id]);
    expect((await list(admin.accessToken, '?q=_')).body.items).toEqual([]);
  });

  it('filters by status and role', async () => {
    const admin = await registerAdmin(server());
    const banned = await registerAccount(server());
    await server().request('POST', `/v1/admin/users/${banned.id}/ban`, {
      token: admin.accessToken,
      body: {},
    });

    const bannedPage = await list(admin.accessToken, '?status=banned');
    expect(ids(bannedPage.body)).toContain(banned.id);
    expect(bannedPage.body.items.every((item: { status: string }) => item.status === 'banned')).toBe(true);
    const admins = await list(admin.accessToken, '?role=admin&limit=100');
    expect(ids(admins.body)).toContain(admin.id);
    expect(ids(admins.body)).not.toContain(banned.id);
  });

  it('refuses bad filters, limits and cursors with field errors', async () => {
    const admin = await registerAdmin(server());
    const fields = async (query: string) => {
      const response = await list(admin.accessToken, query);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      return response.body.errors.map((error: { field: string }) => error.field);
    };
    expect(await fields('?status=sleeping')).toEqual(['query.status']);
    expect(await fields('?role=root')).toEqual(['query.role']);
    expect(await fields('?q=%20%20')).toEqual(['query.q']);
    expect(await fields(`?q=${'a'.repeat(255)}`)).toEqual(['query.q']);
    expect(await fields('?limit=0')).toEqual(['query.limit']);
    expect(await fields('?limit=101')).toEqual(['query.limit']);
    expect(await fields('?cursor=garbage')).toEqual(['query.cursor']);
    const foreign = Buffer.from(JSON.stringify({ id: 'not-a-uuid' })).toString('base64url');
    expect(await fields(`?cursor=${foreign}`)).toEqual(['query.cursor']);
  });

  it('answers only admins', async () => {
    const user = await registerAccount(server());
    const refused = await list(user.accessToken);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/admin role/);
    expect((await server().request('GET', '/v1/admin/users')).status).toBe(401);
  });
});
