import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { registerAdmin } from '../../tests/support/admin';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const post = (token: string, userId: string, action: 'ban' | 'unban') =>
  server().request('POST', `/v1/admin/users/${userId}/${action}`, { token, body: {} });
const login = (account: { email: string; password: string }) =>
  server().request('POST', '/v1/auth/login', { body: { email: account.email, password: account.password } });

describe('admin-users-unban', () => {
  it('lifts a ban: the user logs in again, and the unban is audited', async () => {
    const admin = await registerAdmin(server());
    const user = await registerAccount(server());
    await post(admin.accessToken, user.id, 'ban');
    expect((await login(user)).status).toBe(403);

    const response = await post(admin.accessToken, user.id, 'unban');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: user.id, status: 'active' });
    expect((await login(user)).status).toBe(200);
    const audit = await server().request('GET', `/v1/admin/audit-log?userId=${user.id}&event=user.unbanned`, {
      token: admin.accessToken,
    });
    expect(audit.body.items).toEqual([
      expect.objectContaining({ actorId: admin.id, subjectId: user.id, event: 'user.unbanned' }),
    ]);
  });

  it('changes nothing for a user who is not banned', async () => {
    const admin = await registerAdmin(server());
    const user = await registerAccount(server());
    const response = await post(admin.accessToken, user.id, 'unban');
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('active');
    expect((await server().request('GET', '/v1/users/me', { token: user.accessToken })).status).toBe(200);
    const audit = await server().request('GET', `/v1/admin/audit-log?userId=${user.id}&event=user.unbanned`, {
      token: admin.accessToken,
    });
    expect(audit.body.items).toEqual([]);
  });

  it('answers 404 for an unknown user and 400 for a malformed id', async () => {
    const admin = await registerAdmin(server());
    expect((await post(admin.accessToken, crypto.randomUUID(), 'unban')).status).toBe(404);
    const malformed = await post(admin.accessToken, 'nope', 'unban');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].field).toBe('param.userId');
  });

  it('answers only admins', async () => {
    const [user, target] = [await registerAccount(server()), await registerAccount(server())];
    expect((await post(user.accessToken, target.id, 'unban')).status).toBe(403);
    expect((await server().request('POST', `/v1/admin/users/${target.id}/unban`)).status).toBe(401);
  });
});
