import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const update = (token: string, body: unknown) =>
  server().request('PATCH', '/v1/users/me/ai-settings', { token, body });

describe('ai-settings-update', () => {
  it('turns the opt-in on and off again', async () => {
    const ana = await registerAccount(server());
    expect((await update(ana.accessToken, { enabled: true })).body).toEqual({ enabled: true });
    expect((await update(ana.accessToken, { enabled: true })).body).toEqual({ enabled: true });
    expect(
      (await server().request('GET', '/v1/users/me/ai-settings', { token: ana.accessToken })).body,
    ).toEqual({
      enabled: true,
    });
    expect((await update(ana.accessToken, { enabled: false })).body).toEqual({ enabled: false });
    expect(
      (await server().request('GET', '/v1/users/me/ai-settings', { token: ana.accessToken })).body,
    ).toEqual({
      enabled: false,
    });
  });

  it('names the bad field', async () => {
    const ana = await registerAccount(server());
    for (const body of [{}, { enabled: 'yes' }, { enabled: null }, { enabled: 1 }]) {
      const response = await update(ana.accessToken, body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect(response.body.errors[0].field).toBe('body.enabled');
    }
    expect(
      (await server().request('GET', '/v1/users/me/ai-settings', { token: ana.accessToken })).body,
    ).toEqual({
      enabled: false,
    });
  });
});
