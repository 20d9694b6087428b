/**
 * Group calls through LiveKit, against a local server that speaks LiveKit's API (Twirp
 * RoomService) and sends webhooks signed as LiveKit signs them.
 */
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFunctions } from '../../scripts/lib/function-catalog';
import { registerAccount, type TestAccount } from '../../shared/src/testing/accounts';
import { startLivekit, type TestLivekit } from '../../shared/src/testing/livekit';
import { startTestServer, type TestServer } from '../../shared/src/testing/test-server';
import { createGroup } from '../support/conversations';

let livekit: TestLivekit;
let server: TestServer;

beforeAll(async () => {
  livekit = await startLivekit();
  server = await startTestServer({
    functions: await loadFunctions(),
    env: { ...livekit.env(), CALL_TOKEN_TTL_SECONDS: '120', CALL_RING_TIMEOUT_SECONDS: '30' },
  });
  livekit.webhookUrl = `${server.url}/v1/webhooks/livekit`;
});
afterAll(async () => {
  await server?.close();
  await livekit?.close();
});

const call = (method: string, path: string, account: TestAccount, body?: unknown) =>
  server.request(method, path, { token: account.accessToken, body });

async function grantOf(token: string) {
  const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(livekit.apiSecret), {
    issuer: livekit.apiKey,
  });
  return {
    payload: payload as Record<string, unknown> & { video: Record<string, unknown> },
    protectedHeader,
  };
}

async function team() {
  const [owner, admin, member] = [
    await registerAccount(server),
    await registerAccount(server),
    await registerAccount(server),
  ];
  const group = await createGroup(server, owner, [admin, member]);
  await call('PATCH', `/v1/conversations/${group.id}/members/${admin.id}`, owner, { role: 'admin' });
  return { owner, admin, member, group };
}

describe('calls through LiveKit', () => {
  it('creates a room per call and hands out tokens for exactly that room, this user and their grants', async () => {
    const { owner, member, group } = await team();
    const started = await call('POST', `/v1/conversations/${group.id}/calls`, owner, { video: true });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ mode: 'livekit', livekitUrl: livekit.url, iceServers: [] });
    const room = `call-${started.body.callId}`;
    expect(livekit.room(room)).toMatchObject({ emptyTimeout: 30 });

    const owners = await grantOf(started.body.token);
    expect(owners.protectedHeader.alg).toBe('HS256');
    expect(owners.payload.sub).toBe(owner.id);
    expect(owners.payload.video).toEqual({
      roomJoin: true,
      room,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
      canPublishSources: expect.arrayContaining(['microphone', 'camera', 'screen_share']),
    });
    expect((owners.payload.exp as number) - (owners.payload.nbf as number)).toBe(120);

    const joined = await call('POST', `/v1/calls/${started.body.callId}/join`, member);
    const members = await grantOf(joined.body.token);
    expect(members.payload.sub).toBe(member.id);
    expect(members.payload.video.room).toBe(room);
    expect(members.payload.video.canPublishSources).toEqual(expect.arrayContaining(['microphone', 'camera']));
    // Sharing a screen in a group is for its owners and admins.
    expect(members.payload.video.canPublishSources).not.toContain('screen_share');
    await call('POST', `/v1/calls/${started.body.callId}/end`, owner);
  });

  it('keeps call state from signed webhooks: a call nobody is in any more ends by itself', async () => {
    const { owner, member, group } = await team();
    const started = await call('POST', `/v1/conversations/${group.id}/calls`, owner, {});
    const room = `call-${started.body.callId}`;
    await livekit.settle();
    for (const delivery of [
      ...(await livekit.join(room, owner.id)),
      ...(await livekit.join(room, member.id)),
    ])
      expect(delivery.status).toBe(204);
    await livekit.leave(room, member.id);
    let state = await call('POST', `/v1/calls/${started.body.callId}/join`, member);
    expect(state.status).toBe(200);
    await livekit.join(room, member.id);
    await livekit.leave(room, member.id);
    await livekit.leave(room, owner.id);
    const events = await call('GET', `/v1/conversations/${group.id}/events`, owner);
    expect(events.body.items.at(-1)).toMatchObject({
      event: 'call.ended',
      data: { callId: started.body.callId, reason: 'empty', endedBy: null },
    });
    state = await call('POST', `/v1/calls/${started.body.callId}/join`, member);
    expect(state.status).toBe(409);
  });

  it('refuses webhooks that are unsigned, signed with another secret or tampered with (401), and changes nothing', async () => {
    const { owner, group } = await team();
    const started = await call('POST', `/v1/conversations/${group.id}/calls`, owner, {});
    const room = `call-${started.body.callId}`;
    await livekit.settle();
    // The tampered body turns a participant's arrival into the room finishing, after signing.
    const joinedEvent = {
      event: 'participant_joined',
      room: { name: room, sid: 'RM_x' },
      participant: { identity: owner.id, sid: 'PA_x' },
    };
    for (const forge of ['unsigned', 'wrong-secret', 'tampered-body'] as const) {
      const delivery = await livekit.deliver(joinedEvent, { forge });
      expect({ forge, status: delivery.status }).toEqual({ forge, status: 401 });
    }
    const still = await call('POST', `/v1/calls/${started.body.callId}/join`, owner);
    expect(still.status).toBe(200);
    const finished = await livekit.deliver({ event: 'room_finished', room: { name: room, sid: 'RM_x' } });
    expect(finished.status).toBe(204);
    const ended = await call('POST', `/v1/calls/${started.body.callId}/join`, owner);
    expect(ended.status).toBe(409);
  });

  it('lets the caller or a group admin end the call for everyone, deleting its room; not a member', async () => {
    const { owner, admin, member, group } = await team();
    const started = await call('POST', `/v1/conversations/${group.id}/calls`, member, {});
    const room = `call-${started.body.callId}`;
    const other = await registerAccount(server);
    await call('POST', `/v1/conversations/${group.id}/members`, owner, { userIds: [other.id] });
    expect((await call('POST', `/v1/calls/${started.body.callId}/end`, other)).status).toBe(403);
    const ended = await call('POST', `/v1/calls/${started.body.callId}/end`, admin);
    expect(ended.status).toBe(200);
    expect(ended.body.endReason).toBe('hung-up');
    expect(
      livekit.calls.some(
        (each) => each.method === 'DeleteRoom' && (each.body as { room?: string }).room === room,
      ),
    ).toBe(true);
    expect(livekit.room(room)).toBeUndefined();
  });

  it('answers 503 when LiveKit cannot create the room, and leaves no call behind', async () => {
    const { owner, group } = await team();
    livekit.fail(503);
    try {
      const refused = await call('POST', `/v1/conversations/${group.id}/calls`, owner, {});
      expect(refused.status).toBe(503);
      expect(refused.body.type).toMatch(/calls-unavailable$/);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      livekit.recover();
    }
    const started = await call('POST', `/v1/conversations/${group.id}/calls`, owner, {});
    expect(started.status).toBe(201);
    await call('POST', `/v1/calls/${started.body.callId}/end`, owner);
  });
});
