import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();

describe('notification-preferences', () => {
  it('starts with push on, previews on and no quiet hours, per user', async () => {
    const ana = await registerAccount(server());
    const response = await server().request('GET', '/v1/users/me/notification-preferences', {
      token: ana.accessToken,
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ pushEnabled: true, previews: true, quietHours: null });
    expect((await server().request('GET', '/v1/users/me/notification-preferences')).status).toBe(401);
  });
});
