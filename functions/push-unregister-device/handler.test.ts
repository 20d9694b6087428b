import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();

describe('push-unregister-device', () => {
  it("removes the caller's device; another's or a missing one is 404", async () => {
    const [ana, eve] = [await registerAccount(server()), await registerAccount(server())];
    const device = await server().request('POST', '/v1/push/devices', {
      token: ana.accessToken,
      body: { platform: 'fcm', token: 'fcm-device' },
    });
    const path = `/v1/push/devices/${device.body.id}`;
    expect((await server().request('DELETE', path, { token: eve.accessToken })).status).toBe(404);
    expect((await server().request('DELETE', path, { token: ana.accessToken })).status).toBe(204);
    expect((await server().request('DELETE', path, { token: ana.accessToken })).status).toBe(404);
    expect(
      (await server().request('DELETE', '/v1/push/devices/nope', { token: ana.accessToken })).status,
    ).toBe(400);
  });
});
