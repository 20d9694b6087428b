import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const remove = (token: string, body: unknown) => server().request('DELETE', '/v1/users/me', { token, body });

describe('users-delete-me', () => {
  it('erases the account: sessions end, login fails, lookup finds nothing, the address is free again', async () => {
    const account = await registerAccount(server());
    const friend = await registerAccount(server());
    expect((await remove(account.accessToken, { password: account.password })).status).toBe(204);
    expect((await server().request('GET', '/v1/users/me', { token: account.accessToken })).status).toBe(401);
    const login = await server().request('POST', '/v1/auth/login', {
      body: { email: account.email, password: account.password },
    });
    expect(login.status).toBe(401);
    const lookup = await server().request(
      'GET',
      `/v1/users/lookup?email=${encodeURIComponent(account.email)}`,
      { token: friend.accessToken },
    );
    expect(lookup.status).toBe(404);
    const again = await registerAccount(server(), { email: account.email });
    expect(again.id).not.toBe(account.id);
  });

  it('keeps a tombstone without personal data, devices or settings', async () => {
    const account = await registerAccount(server(), { displayName: 'Private Person' });
    const token = account.accessToken;
    await server().request('POST', '/v1/push/devices', {
      token,
      body: { platform: 'fcm', token: 'my-phone' },
    });
    await server().request('PATCH', '/v1/users/me/notification-preferences', {
      token,
      body: { previews: false },
    });
    await server().request('PATCH', '/v1/users/me/ai-settings', { token, body: { enabled: true } });
    await remove(account.accessToken, { password: account.password });
    const { db } = await server().server.platform.database();
    const row = await db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', account.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      email: null,
      display_name: 'Deleted user',
      password_hash: null,
      status: 'deleted',
    });
    for (const table of ['push_devices', 'notification_preferences', 'ai_settings'] as const) {
      const left = await db.selectFrom(table).select('user_id').where('user_id', '=', account.id).execute();
      expect({ table, left }).toEqual({ table, left: [] });
    }
  });

  it('needs the password', async () => {
    const account = await registerAccount(server());
    expect((await remove(account.accessToken, { password: 'wrong password' })).status).toBe(403);
    expect((await remove(account.accessToken, {})).status).toBe(400);
    expect((await server().request('GET', '/v1/users/me', { token: account.accessToken })).status).toBe(200);
  });
});
