/**
 * One-to-one calls without LiveKit (the embedded default): WebRTC signalling relayed by the
 * gateway between the call's members only, in order; TURN credentials coturn would accept.
 */
import { createHmac } from 'node:crypto';
import type { RealtimeClient } from '@secureconnect/client';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { TestServer } from '../../shared/src/testing/test-server';
import { connectRealtime, registerUsers, settle, startSdkDevServer, WAIT } from '../support/sdk';

const TURN_SECRET = 'coturn-static-auth-secret';
let server: TestServer;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  ({ server } = await startSdkDevServer({
    TURN_URLS: 'turn:turn.example.test:3478?transport=udp,turns:turn.example.test:5349',
    TURN_SECRET,
    TURN_TTL_SECONDS: '600',
  }));
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server?.close();
});

type Signal = { callId: string; from: string; payload: unknown };

function signalsOf(realtime: RealtimeClient): Signal[] {
  const received: Signal[] = [];
  realtime.on('signal', (signal) => received.push(signal));
  return received;
}

it('two clients set up a call through the gateway: offer, answer and ICE candidates arrive in order', async () => {
  const [ana, ben, eve] = await registerUsers(server.url, 'Ana', 'Ben', 'Eve');
  const direct = await ana.client.conversations.create({ type: 'direct', userId: ben.id });
  const [a, b, e] = await Promise.all([connectRealtime(ana), connectRealtime(ben), connectRealtime(eve)]);
  clients.push(a.realtime, b.realtime, e.realtime);
  const [toAna, toBen, toEve] = [signalsOf(a.realtime), signalsOf(b.realtime), signalsOf(e.realtime)];

  const ticket = await ana.client.calls.start(direct.id, { video: true });
  expect(ticket).toMatchObject({ mode: 'p2p', livekitUrl: null, token: null });
  expect(ticket.call).toMatchObject({
    conversationId: direct.id,
    video: true,
    createdBy: ana.id,
    endedAt: null,
  });
  await vi.waitFor(() => {
    const ringing = b.recorder.in(direct.id).find((event) => event.event === 'call.ringing');
    expect(ringing?.data).toMatchObject({ call: { id: ticket.callId } });
  }, WAIT);
  const answer = await ben.client.calls.join(ticket.callId);
  expect(answer.mode).toBe('p2p');

  const offer = { type: 'offer', sdp: 'v=0 offer' };
  const candidates = Array.from({ length: 20 }, (_, index) => ({
    candidate: `candidate:${index}`,
    sdpMid: '0',
  }));
  a.realtime.signal(ticket.callId, ben.id, offer);
  for (const candidate of candidates) a.realtime.signal(ticket.callId, ben.id, candidate);
  await vi.waitFor(() => expect(toBen).toHaveLength(21), WAIT);
  expect(toBen.map((signal) => signal.payload)).toEqual([offer, ...candidates]);
  expect(toBen.every((signal) => signal.from === ana.id && signal.callId === ticket.callId)).toBe(true);

  b.realtime.signal(ticket.callId, ana.id, { type: 'answer', sdp: 'v=0 answer' });
  await vi.waitFor(
    () => expect(toAna.map((signal) => signal.payload)).toEqual([{ type: 'answer', sdp: 'v=0 answer' }]),
    WAIT,
  );

  // A stranger can neither signal into the call nor be signalled from it.
  const refused: unknown[] = [];
  e.realtime.on('error', (error) => refused.push(error));
  e.realtime.signal(ticket.callId, ana.id, { type: 'offer', sdp: 'intruder' });
  a.realtime.signal(ticket.callId, eve.id, { type: 'offer', sdp: 'leak' });
  await vi.waitFor(() => expect(String(refused[0])).toMatch(/not-a-member/), WAIT);
  await settle();
  expect(toAna).toHaveLength(1);
  expect(toEve).toHaveLength(0);

  const ended = await ben.client.calls.end(ticket.callId);
  expect(ended).toMatchObject({ endReason: 'hung-up', endedAt: expect.any(String) });
  await vi.waitFor(() => {
    const event = a.recorder.in(direct.id).find((each) => each.event === 'call.ended');
    expect(event?.data).toMatchObject({ callId: ticket.callId, endedBy: ben.id, reason: 'hung-up' });
  }, WAIT);
  // Once ended, no more signalling.
  a.realtime.signal(ticket.callId, ben.id, { type: 'offer', sdp: 'late' });
  await settle();
  expect(toBen).toHaveLength(21);
});

it('hands out TURN credentials that verify with the HMAC-SHA1 scheme coturn uses, for this user, for the TTL', async () => {
  const [ana, ben] = await registerUsers(server.url, 'Ana', 'Ben');
  const direct = await ana.client.conversations.create({ type: 'direct', userId: ben.id });
  const ticket = await ana.client.calls.start(direct.id);
  const [turn] = ticket.iceServers;
  expect(turn?.urls).toEqual(['turn:turn.example.test:3478?transport=udp', 'turns:turn.example.test:5349']);
  const [expiry, userId] = String(turn?.username).split(':');
  expect(userId).toBe(ana.id);
  expect(Number(expiry) - Date.now() / 1000).toBeGreaterThan(590);
  expect(Number(expiry) - Date.now() / 1000).toBeLessThanOrEqual(600);
  // What coturn computes with use-auth-secret and static-auth-secret.
  expect(turn?.credential).toBe(
    createHmac('sha1', TURN_SECRET).update(String(turn?.username)).digest('base64'),
  );
  expect(createHmac('sha1', 'another secret').update(String(turn?.username)).digest('base64')).not.toBe(
    turn?.credential,
  );
  await ana.client.calls.end(ticket.callId);
});
