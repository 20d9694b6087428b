import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const update = (token: string, body: unknown) =>
  server().request('PATCH', '/v1/users/me/notification-preferences', { token, body });

describe('notification-preferences-update', () => {
  it('changes only what is given, and clears quiet hours with null', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const quietHours = { start: '22:00', end: '07:30', timeZone: 'Europe/Berlin' };
    expect((await update(ana.accessToken, { quietHours })).body).toEqual({
      pushEnabled: true,
      previews: true,
      quietHours,
    });
    expect((await update(ana.accessToken, { previews: false })).body).toEqual({
      pushEnabled: true,
      previews: false,
      quietHours,
    });
    expect((await update(ana.accessToken, { quietHours: null })).body.quietHours).toBeNull();
    const read = await server().request('GET', '/v1/users/me/notification-preferences', {
      token: ana.accessToken,
    });
    expect(read.body).toEqual({ pushEnabled: true, previews: false, quietHours: null });
    const bens = await server().request('GET', '/v1/users/me/notification-preferences', {
      token: ben.accessToken,
    });
    expect(bens.body.previews).toBe(true);
  });

  it('names every bad field', async () => {
    const ana = await registerAccount(server());
    for (const [body, field] of [
      [{}, 'body'],
      [{ pushEnabled: 'no' }, 'body.pushEnabled'],
      [{ quietHours: { start: '25:00', end: '07:00', timeZone: 'UTC' } }, 'body.quietHours.start'],
      [{ quietHours: { start: '22:00', end: '7:00', timeZone: 'UTC' } }, 'body.quietHours.end'],
      [
        { quietHours: { start: '22:00', end: '07:00', timeZone: 'Mars/Olympus' } },
        'body.quietHours.timeZone',
      ],
      [{ quietHours: { start: '22:00', end: '07:00' } }, 'body.quietHours.timeZone'],
    ] as const) {
      const response = await update(ana.accessToken, body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect(response.body.errors[0].field).toBe(field);
    }
  });
});
