import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const register = (token: string, body: unknown) =>
  server().request('POST', '/v1/push/devices', { token, body });

describe('push-register-device', () => {
  it('registers a device once however often the same token comes back', async () => {
    const ana = await registerAccount(server());
    const first = await register(ana.accessToken, { platform: 'fcm', token: 'fcm-token-1' });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ id: expect.any(String), platform: 'fcm', createdAt: expect.any(String) });
    const again = await register(ana.accessToken, { platform: 'fcm', token: 'fcm-token-1' });
    expect(again.body.id).toBe(first.body.id);
    const apns = await register(ana.accessToken, { platform: 'apns', token: 'fcm-token-1' });
    expect(apns.body.id).not.toBe(first.body.id);
  });

  it('moves a token to the account that registers it last', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const anas = await register(ana.accessToken, { platform: 'apns', token: 'a'.repeat(64) });
    const bens = await register(ben.accessToken, { platform: 'apns', token: 'a'.repeat(64) });
    expect(bens.body.id).toBe(anas.body.id);
    // It is Ben's device now: Ana can no longer remove it.
    expect(
      (await server().request('DELETE', `/v1/push/devices/${anas.body.id}`, { token: ana.accessToken }))
        .status,
    ).toBe(404);
  });

  it('names every bad field', async () => {
    const ana = await registerAccount(server());
    for (const [body, field] of [
      [{ platform: 'sms', token: 't' }, 'body.platform'],
      [{ platform: 'fcm', token: '' }, 'body.token'],
      [{ platform: 'fcm', token: 'has space' }, 'body.token'],
      [{ platform: 'fcm', token: 'x'.repeat(4097) }, 'body.token'],
      [{ platform: 'fcm' }, 'body.token'],
    ] as const) {
      const response = await register(ana.accessToken, body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect(response.body.errors[0].field).toBe(field);
    }
    expect(
      (await server().request('POST', '/v1/push/devices', { body: { platform: 'fcm', token: 't' } })).status,
    ).toBe(401);
  });
});
