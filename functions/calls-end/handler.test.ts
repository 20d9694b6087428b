import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { startDirectCall } from '../../tests/support/calls';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const end = (token: string, callId: string) => server().request('POST', `/v1/calls/${callId}/end`, { token });

describe('calls-end', () => {
  it('ends once for either member of a direct conversation, recording call.ended', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const { direct, ticket } = await startDirectCall(server(), ana, ben);
    const ended = await end(ben.accessToken, ticket.callId);
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ endReason: 'hung-up', endedAt: expect.any(String) });
    expect(ended.body.participants.every((p: { leftAt: string | null }) => p.leftAt !== null)).toBe(true);
    expect((await end(ana.accessToken, ticket.callId)).body.endedAt).toBe(ended.body.endedAt);
    const events = await server().request('GET', `/v1/conversations/${direct.id}/events`, {
      token: ana.accessToken,
    });
    const endings = events.body.items.filter((event: { event: string }) => event.event === 'call.ended');
    expect(endings).toEqual([
      expect.objectContaining({
        actorId: ben.id,
        data: {
          callId: ticket.callId,
          endedBy: ben.id,
          reason: 'hung-up',
          endedAt: ended.body.endedAt,
        },
      }),
    ]);
  });

  it('answers strangers and unknown calls alike, and bad ids with 400', async () => {
    const [ana, ben, eve] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const { ticket } = await startDirectCall(server(), ana, ben);
    expect((await end(eve.accessToken, ticket.callId)).status).toBe(404);
    expect((await end(eve.accessToken, 'nope')).status).toBe(400);
    const still = await server().request('POST', `/v1/calls/${ticket.callId}/join`, {
      token: ben.accessToken,
    });
    expect(still.status).toBe(200);
  });
});
