import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { registerAdmin } from '../../tests/support/admin';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const audit = (token: string, query = '') =>
  server().request('GET', `/v1/admin/audit-log${query}`, { token });

describe('admin-audit-log', () => {
  it("lists a user's events newest first, as actor or subject, with ip, request id and time", async () => {
    const admin = await registerAdmin(server());
    const user = await registerAccount(server());
    await server().request('POST', `/v1/admin/users/${user.id}/ban`, { token: admin.accessToken, body: {} });

    const subject = await audit(admin.accessToken, `?userId=${user.id}`);
    expect(subject.status).toBe(200);
    expect(subject.body.items.map((entry: { event: string }) => entry.event)).toEqual([
      'user.banned',
      'user.registered',
    ]);
    const [banned] = subject.body.items;
    expect(banned).toEqual({
      id: expect.any(String),
      occurredAt: expect.any(String),
      event: 'user.banned',
      actorId: admin.id,
      subjectId: user.id,
      ip: expect.any(String),
      requestId: expect.any(String),
      details: { sessionsRevoked: 1 },
    });
    const asActor = await audit(admin.accessToken, `?userId=${admin.id}&event=user.banned`);
    expect(asActor.body.items.map((entry: { subjectId: string }) => entry.subjectId)).toEqual([user.id]);
  });

  it('keeps only the events of a type and within a range (inclusive)', async () => {
    const admin = await registerAdmin(server());
    const user = await registerAccount(server());
    const all = (await audit(admin.accessToken, `?userId=${user.id}`)).body.items;
    const [registered] = all;
    const at = encodeURIComponent(registered.occurredAt);
    expect((await audit(admin.accessToken, `?userId=${user.id}&from=${at}&to=${at}`)).body.items).toEqual([
      registered,
    ]);
    const before = encodeURIComponent(new Date(Date.parse(registered.occurredAt) - 1000).toISOString());
    expect((await audit(admin.accessToken, `?userId=${user.id}&to=${before}`)).body.items).toEqual([]);
    expect((await audit(admin.accessToken, `?userId=${user.id}&event=login.failed`)).body.items).toEqual([]);
  });

  it('pages through entries, each exactly once', async () => {
    const admin = await registerAdmin(server());
    const user = await registerAccount(server());
    for (let attempt = 0; attempt < 3; attempt++) {
      await server().request('POST', '/v1/auth/login', {
        body: { email: user.email, password: 'wrong password!' },
      });
      await server().request('POST', '/v1/auth/login', {
        body: { email: user.email, password: user.password },
      });
    }
    const everything = (await audit(admin.accessToken, `?userId=${user.id}&limit=100`)).body.items;
    expect(everything).toHaveLength(7);
    const seen: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page = await audit(
        admin.accessToken,
        `?userId=${user.id}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(everything);
  });

  it('refuses bad filters with field errors', async () => {
    const admin = await registerAdmin(server());
    const fields = async (query: string) => {
      const response = await audit(admin.accessToken, query);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      return response.body.errors.map((error: { field: string }) => error.field);
    };
    expect(await fields('?userId=someone')).toEqual(['query.userId']);
    expect(await fields('?event=user.hacked')).toEqual(['query.event']);
    expect(await fields('?from=yesterday')).toEqual(['query.from']);
    expect(await fields('?to=2025-01-01')).toEqual(['query.to']);
    expect(await fields('?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z')).toEqual(['query.to']);
    expect(await fields('?limit=1000')).toEqual(['query.limit']);
    expect(await fields('?cursor=%7B%7D')).toEqual(['query.cursor']);
  });

  it('answers only admins', async () => {
    const user = await registerAccount(server());
    expect((await audit(user.accessToken)).status).toBe(403);
    expect((await server().request('GET', '/v1/admin/audit-log')).status).toBe(401);
  });
});
