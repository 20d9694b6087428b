import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { registerAdmin } from '../../tests/support/admin';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const ban = (token: string, userId: string, body: unknown = {}) =>
  server().request('POST', `/v1/admin/users/${userId}/ban`, { token, body });
const auditOf = async (token: string, userId: string, event: string) =>
  (await server().request('GET', `/v1/admin/audit-log?userId=${userId}&event=${event}`, { token })).body
    .items;

describe('admin-users-ban', () => {
  it('bans: the user is banned, every token refused, the ban audited with its reason', async () => {
    const admin = await registerAdmin(server());
    const user = await registerAccount(server());
    const response = await ban(admin.accessToken, user.id, { reason: '  spam, repeatedly  ' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: user.id, status: 'banned', role: 'user' });

    expect((await server().request('GET', '/v1/users/me', { token: user.accessToken })).status).toBe(401);
    const refresh = await server().request('POST', '/v1/auth/refresh', {
      body: { refreshToken: user.refreshToken },
    });
    expect(refresh.status).toBe(401);
    const [entry] = await auditOf(admin.accessToken, user.id, 'user.banned');
    expect(entry).toMatchObject({
      actorId: admin.id,
      subjectId: user.id,
      ip: expect.any(String),
      requestId: response.headers.get('x-request-id'),
      details: { reason: 'spam, repeatedly', sessionsRevoked: 1 },
    });
  });

  it('changes nothing when the user is already banned', async () => {
    const admin = await registerAdmin(server());
    const user = await registerAccount(server());
    expect((await ban(admin.accessToken, user.id)).status).toBe(200);
    const again = await ban(admin.accessToken, user.id, { reason: 'twice' });
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('banned');
    expect(await auditOf(admin.accessToken, user.id, 'user.banned')).toHaveLength(1);
  });

  it('refuses to ban oneself or another admin (409), and changes neither', async () => {
    const admin = await registerAdmin(server());
    const other = await registerAdmin(server());
    const self = await ban(admin.accessToken, admin.id);
    expect(self.status).toBe(409);
    expect(self.body.type).toMatch(/cannot-ban-self$/);
    const peer = await ban(admin.accessToken, other.id);
    expect(peer.status).toBe(409);
    expect(peer.body.type).toMatch(/cannot-ban-admin$/);
    for (const token of [admin.accessToken, other.accessToken])
      expect((await server().request('GET', '/v1/users/me', { token })).status).toBe(200);
  });

  it('answers 404 for an unknown or deleted user', async () => {
    const admin = await registerAdmin(server());
    expect((await ban(admin.accessToken, crypto.randomUUID())).status).toBe(404);
    const deleted = await registerAccount(server());
    await server().request('DELETE', '/v1/users/me', {
      token: deleted.accessToken,
      body: { password: deleted.password },
    });
    expect((await ban(admin.accessToken, deleted.id)).status).toBe(404);
  });

  it('refuses bad input with field errors', async () => {
    const admin = await registerAdmin(server());
    const user = await registerAccount(server());
    const long = await ban(admin.accessToken, user.id, { reason: 'x'.repeat(501) });
    expect(long.status).toBe(400);
    expect(long.body.errors.map((error: { field: string }) => error.field)).toEqual(['body.reason']);
    const typed = await ban(admin.accessToken, user.id, { reason: 42 });
    expect(typed.status).toBe(400);
    const id = await ban(admin.accessToken, 'not-a-uuid');
    expect(id.status).toBe(400);
    expect(id.body.errors.map((error: { field: string }) => error.field)).toEqual(['param.userId']);
    expect((await ban(admin.accessToken, user.id, { reason: 'x'.repeat(500) })).status).toBe(200);
  });

  it('answers only admins', async () => {
    const [user, target] = [await registerAccount(server()), await registerAccount(server())];
    expect((await ban(user.accessToken, target.id)).status).toBe(403);
    expect((await server().request('POST', `/v1/admin/users/${target.id}/ban`, { body: {} })).status).toBe(
      401,
    );
    expect((await server().request('GET', '/v1/users/me', { token: target.accessToken })).status).toBe(200);
  });
});
