import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { metricValue } from '../../shared/src/testing/observability';
import { createGroup, openDirect } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

// No LIVEKIT_URL: calls are one-to-one and peer to peer.
const server = useServer();
const start = (token: string, conversationId: string, body: unknown = {}) =>
  server().request('POST', `/v1/conversations/${conversationId}/calls`, { token, body });

describe('calls-start', () => {
  it('starts a P2P call, rings through the event log, and a second start joins it', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const direct = await openDirect(server(), ana, ben);
    const response = await start(ana.accessToken, direct.id, { video: true });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      mode: 'p2p',
      livekitUrl: null,
      token: null,
      iceServers: [],
      call: { conversationId: direct.id, mode: 'p2p', video: true, createdBy: ana.id, endedAt: null },
    });
    expect(response.body.call.participants.map((p: { userId: string }) => p.userId)).toEqual([ana.id]);
    const events = await server().request('GET', `/v1/conversations/${direct.id}/events`, {
      token: ben.accessToken,
    });
    expect(events.body.items.at(-1)).toMatchObject({
      event: 'call.ringing',
      actorId: ana.id,
      data: { call: { id: response.body.callId } },
    });
    expect(await metricValue(server().server.platform.metrics.callsActive)).toBeGreaterThanOrEqual(0);
    const again = await start(ben.accessToken, direct.id);
    expect(again.status).toBe(200);
    expect(again.body.callId).toBe(response.body.callId);
    expect(again.body.call.participants).toHaveLength(2);
  });

  it('counts calls going on in calls_active, from the database', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const direct = await openDirect(server(), ana, ben);
    const metrics = async () => {
      const text = await (await fetch(`${server().url}/metrics`)).text();
      return Number(/^calls_active(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1]);
    };
    const before = await metrics();
    const call = await start(ana.accessToken, direct.id);
    expect(await metrics()).toBe(before + 1);
    await server().request('POST', `/v1/calls/${call.body.callId}/end`, { token: ana.accessToken });
    expect(await metrics()).toBe(before);
  });

  it('needs a media server for groups, membership, no block, and a boolean video', async () => {
    const [ana, ben, eve] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const group = await createGroup(server(), ana, [ben]);
    const groupCall = await start(ana.accessToken, group.id);
    expect(groupCall.status).toBe(409);
    expect(groupCall.body.type).toMatch(/group-calls-need-livekit$/);
    const direct = await openDirect(server(), ana, ben);
    expect((await start(eve.accessToken, direct.id)).status).toBe(404);
    const invalid = await start(ana.accessToken, direct.id, { video: 'yes' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].field).toBe('body.video');
    await server().request('PUT', `/v1/users/${ben.id}/block`, { token: ana.accessToken });
    expect((await start(ben.accessToken, direct.id)).status).toBe(403);
  });
});
