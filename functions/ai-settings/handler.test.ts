import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

// No AI configured: the opt-in is the user's whether or not this server has an AI.
const server = useServer();

describe('ai-settings', () => {
  it('starts off, per user, and needs an access token', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    await server().request('PATCH', '/v1/users/me/ai-settings', {
      token: ben.accessToken,
      body: { enabled: true },
    });
    const response = await server().request('GET', '/v1/users/me/ai-settings', { token: ana.accessToken });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ enabled: false });
    const bens = await server().request('GET', '/v1/users/me/ai-settings', { token: ben.accessToken });
    expect(bens.body).toEqual({ enabled: true });
    expect((await server().request('GET', '/v1/users/me/ai-settings')).status).toBe(401);
  });
});
