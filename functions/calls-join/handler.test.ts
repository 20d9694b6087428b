import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { startDirectCall } from '../../tests/support/calls';
import { useServer } from '../../tests/support/use-server';

const server = useServer({ TURN_URLS: 'turn:127.0.0.1:3478', TURN_SECRET: 'secret' });
const join = (token: string, callId: string) =>
  server().request('POST', `/v1/calls/${callId}/join`, { token });

describe('calls-join', () => {
  it('lets the other member in, with TURN credentials of their own', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const { ticket } = await startDirectCall(server(), ana, ben);
    const joined = await join(ben.accessToken, ticket.callId);
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ callId: ticket.callId, mode: 'p2p' });
    expect(joined.body.iceServers[0].username).toMatch(new RegExp(`^\\d+:${ben.id}$`));
    expect(joined.body.iceServers[0].username).not.toBe(ticket.iceServers[0]?.username);
  });

  it('is refused once the call ended, and 404 for strangers and unknown calls', async () => {
    const [ana, ben, eve] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const { ticket } = await startDirectCall(server(), ana, ben);
    const stranger = await join(eve.accessToken, ticket.callId);
    const missing = await join(eve.accessToken, crypto.randomUUID());
    expect([stranger.status, missing.status]).toEqual([404, 404]);
    expect(stranger.body.detail).toBe(missing.body.detail);
    await server().request('POST', `/v1/calls/${ticket.callId}/end`, { token: ana.accessToken });
    const late = await join(ben.accessToken, ticket.callId);
    expect(late.status).toBe(409);
    expect(late.body.type).toMatch(/call-ended$/);
  });
});
