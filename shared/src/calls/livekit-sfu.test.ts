import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/env';
import { ProblemError } from '../errors/problem';
import { startLivekit, type TestLivekit, type WebhookForgery } from '../testing/livekit';
import { testObservability } from '../testing/observability';
import { LivekitSfu } from './livekit-sfu';
import { openSfu } from './open-sfu';
import type { RoomGrant, Sfu } from './sfu';

const { logger } = testObservability();

/** What reached our webhook endpoint, as a function would read it. */
interface Received {
  body: string;
  authorization: string | undefined;
  contentType: string | undefined;
}

let livekit: TestLivekit;
let receiver: Server;
const received: Received[] = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        body: Buffer.concat(chunks).toString('utf8'),
        authorization: request.headers.authorization,
        contentType: request.headers['content-type'],
      });
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  livekit = await startLivekit({
    webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhook`,
  });
});

afterEach(() => {
  livekit.recover();
});

afterAll(async () => {
  await livekit?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

function sfu({ apiSecret = livekit.apiSecret, apiUrl = livekit.apiUrl, timeoutSeconds = 1 } = {}): Sfu {
  return new LivekitSfu({
    url: livekit.url,
    apiUrl,
    apiKey: livekit.apiKey,
    apiSecret,
    timeoutSeconds,
    logger,
  });
}

const secret = () => new TextEncoder().encode(livekit.apiSecret);

let rooms = 0;
const newRoom = () => `call-${++rooms}-${Date.now()}`;

async function expectUnavailable(promise: Promise<unknown>): Promise<ProblemError> {
  const error = await promise.then(
    () => expect.fail('expected a 503'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProblemError);
  const problem = error as ProblemError;
  expect(problem.status).toBe(503);
  expect(problem.code).toBe('calls-unavailable');
  expect(problem.headers()['retry-after']).toMatch(/^\d+$/);
  return problem;
}

async function expectRefusedWebhook(body: string, authorization: string | undefined): Promise<void> {
  const error = await sfu()
    .receiveWebhook(body, authorization)
    .catch((thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(ProblemError);
  expect((error as ProblemError).status).toBe(401);
  expect((error as ProblemError).code).toBe('invalid-webhook-signature');
}

/** The bearer token of the fake's last recorded call, verified as LiveKit would. */
async function lastBearer(method: string) {
  const call = livekit.calls.findLast((recorded) => recorded.method === method);
  expect(call?.authorization).toMatch(/^Bearer /);
  const { payload, protectedHeader } = await jwtVerify(call!.authorization!.slice(7), secret(), {
    issuer: livekit.apiKey,
  });
  return { call: call!, payload, protectedHeader };
}

const everything: RoomGrant = {
  canPublish: true,
  canSubscribe: true,
  canPublishData: true,
  sources: ['microphone', 'camera', 'screen_share'],
};

describe('LiveKit access tokens', () => {
  it('name the user and carry one grant, for exactly that room, and nothing else', async () => {
    const token = await sfu().token({
      room: 'call-a',
      identity: 'user-1',
      name: 'Ana',
      grant: { canPublish: true, canSubscribe: true, canPublishData: false, sources: ['microphone'] },
      ttlSeconds: 300,
    });
    const { payload, protectedHeader } = await jwtVerify(token, secret(), {
      algorithms: ['HS256'],
      issuer: livekit.apiKey,
    });
    expect(protectedHeader.alg).toBe('HS256');
    expect(Object.keys(payload).sort()).toEqual(['exp', 'iss', 'name', 'nbf', 'sub', 'video']);
    expect(payload.sub).toBe('user-1');
    expect(payload.name).toBe('Ana');
    expect(payload.video).toStrictEqual({
      roomJoin: true,
      room: 'call-a',
      canPublish: true,
      canSubscribe: true,
      canPublishData: false,
      canPublishSources: ['microphone'],
    });
  });

  it("map our source names to LiveKit's, a screen share with its sound", async () => {
    const token = await sfu().token({
      room: 'call-a',
      identity: 'user-1',
      name: 'Ana',
      grant: everything,
      ttlSeconds: 60,
    });
    expect((decodeJwt(token).video as { canPublishSources: string[] }).canPublishSources).toEqual([
      'microphone',
      'camera',
      'screen_share',
      'screen_share_audio',
    ]);
  });

  it('publish nothing when no source is granted (LiveKit reads an empty list as every source)', async () => {
    const token = await sfu().token({
      room: 'call-a',
      identity: 'user-1',
      name: 'Ana',
      grant: { ...everything, sources: [] },
      ttlSeconds: 60,
    });
    expect(decodeJwt(token).video).toMatchObject({ canPublish: false, canPublishSources: [] });
  });

  it('live exactly their ttl, and do not verify after it', async () => {
    // A frozen clock: the SDK reads it once for exp and once for nbf.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-03-01T12:00:00.400Z') });
    let token: string;
    try {
      token = await sfu().token({
        room: 'call-a',
        identity: 'user-1',
        name: 'Ana',
        grant: everything,
        ttlSeconds: 300,
      });
    } finally {
      vi.useRealTimers();
    }
    const { exp, nbf } = decodeJwt(token);
    expect(exp! - nbf!).toBe(300);
    expect(nbf).toBe(Date.parse('2026-03-01T12:00:00Z') / 1000);
    const at = (seconds: number) => ({ issuer: livekit.apiKey, currentDate: new Date(seconds * 1000) });
    await expect(jwtVerify(token, secret(), at(exp! - 1))).resolves.toBeDefined();
    await expect(jwtVerify(token, secret(), at(exp!))).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
  });

  it('refuse a ttl the SDK would turn into its six-hour default', async () => {
    const input = { room: 'call-a', identity: 'user-1', name: 'Ana', grant: everything };
    await expect(sfu().token({ ...input, ttlSeconds: 0 })).rejects.toThrow(RangeError);
  });
});

describe('the room API, against the local LiveKit', () => {
  it('creates a room with its empty timeout and size, signed with roomCreate', async () => {
    const room = newRoom();
    await sfu().createRoom(room, { emptyTimeoutSeconds: 60, maxParticipants: 8 });
    expect(livekit.room(room)).toMatchObject({ emptyTimeout: 60, maxParticipants: 8, participants: [] });
    const { call, payload, protectedHeader } = await lastBearer('CreateRoom');
    expect(call.status).toBe(200);
    expect(call.contentType).toMatch(/^application\/json/);
    expect(call.body).toEqual({ name: room, emptyTimeout: 60, maxParticipants: 8 });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.video).toEqual({ roomCreate: true });
  });

  it('counts participants (0 for a room LiveKit does not have), signed with roomAdmin for that room', async () => {
    const room = newRoom();
    const lk = sfu();
    expect(await lk.participantCount(room)).toBe(0);
    await lk.createRoom(room, { emptyTimeoutSeconds: 60, maxParticipants: 8 });
    await livekit.join(room, 'user-1');
    await livekit.join(room, 'user-2');
    expect(await lk.participantCount(room)).toBe(2);
    await livekit.leave(room, 'user-1');
    expect(await lk.participantCount(room)).toBe(1);
    const { call, payload } = await lastBearer('ListParticipants');
    expect(call.status).toBe(200);
    expect(payload.video).toEqual({ roomAdmin: true, room });
  });

  it('deletes a room, and deleting one that is already gone succeeds', async () => {
    const room = newRoom();
    const lk = sfu();
    await lk.createRoom(room, { emptyTimeoutSeconds: 60, maxParticipants: 8 });
    await lk.deleteRoom(room);
    expect(livekit.room(room)).toBeUndefined();
    await lk.deleteRoom(room);
    const deletes = livekit.calls.filter((call) => call.method === 'DeleteRoom').slice(-2);
    expect(deletes.map((call) => call.status)).toEqual([200, 404]);
    expect((await lastBearer('DeleteRoom')).payload.video).toEqual({ roomCreate: true });
  });

  it('gets 401 from LiveKit with a wrong secret, which callers see as 503 without the token', async () => {
    const room = newRoom();
    const forger = sfu({ apiSecret: 'not-the-secret' });
    const problem = await expectUnavailable(
      forger.createRoom(room, { emptyTimeoutSeconds: 60, maxParticipants: 8 }),
    );
    const refused = livekit.calls.at(-1)!;
    expect(refused.status).toBe(401);
    expect(livekit.room(room)).toBeUndefined();
    const cause = String((problem.cause as Error).message);
    expect(cause).toMatch(/CreateRoom answered 401/);
    expect(cause).not.toContain(refused.authorization!.slice(7));
    expect(problem.headers()['retry-after']).toBe('30');
    await expectUnavailable(forger.participantCount(room));
    await expectUnavailable(forger.deleteRoom(room));
  });

  it('answers 503 while LiveKit answers 5xx', async () => {
    const lk = sfu();
    livekit.fail(503);
    await expectUnavailable(lk.createRoom(newRoom(), { emptyTimeoutSeconds: 60, maxParticipants: 8 }));
    livekit.fail(500);
    await expectUnavailable(lk.participantCount(newRoom()));
    await expectUnavailable(lk.deleteRoom(newRoom()));
  });

  it('answers 503 after its timeout while LiveKit hangs', async () => {
    const lk = sfu({ timeoutSeconds: 1 });
    livekit.hang();
    const started = performance.now();
    const problem = await expectUnavailable(lk.participantCount(newRoom()));
    const elapsed = performance.now() - started;
    // The fake never answers: only our deadline ends the call, not the SDK's default of 10 s.
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(9000);
    expect((problem.cause as Error).message).toMatch(/no answer within 1 s/);
    expect(livekit.calls.at(-1)).toMatchObject({ method: 'ListParticipants', status: 0 });
  });

  it('answers 503 when nothing listens at LiveKit', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const problem = await expectUnavailable(
      sfu({ apiUrl: `http://127.0.0.1:${port}` }).createRoom(newRoom(), {
        emptyTimeoutSeconds: 60,
        maxParticipants: 8,
      }),
    );
    expect((problem.cause as Error).message).toMatch(/ECONNREFUSED/);
  });
});

describe('webhooks from the local LiveKit', () => {
  it('verify and map to call events: joined, left, finished; others are "other"', async () => {
    const room = newRoom();
    const lk = sfu();
    await livekit.settle();
    received.length = 0;
    const joined = await livekit.join(room, 'user-1');
    const left = await livekit.leave(room, 'user-1');
    const finished = await livekit.finish(room);
    const deliveries = [...joined, ...left, ...finished];
    expect(deliveries.map((delivery) => [delivery.event, delivery.status])).toEqual([
      ['room_started', 200],
      ['participant_joined', 200],
      ['participant_left', 200],
      ['room_finished', 200],
    ]);
    expect(received.map((webhook) => webhook.contentType)).toEqual(Array(4).fill('application/webhook+json'));
    const events = await Promise.all(
      received.map((webhook) => lk.receiveWebhook(webhook.body, webhook.authorization)),
    );
    expect(events).toEqual([
      { kind: 'other', room, id: deliveries[0]!.id },
      { kind: 'participant-joined', room, identity: 'user-1', id: deliveries[1]!.id },
      { kind: 'participant-left', room, identity: 'user-1', id: deliveries[2]!.id },
      { kind: 'room-finished', room, id: deliveries[3]!.id },
    ]);
  });

  it('map an aborted connection to participant-left', async () => {
    const room = newRoom();
    await livekit.settle();
    received.length = 0;
    await livekit.deliver({
      event: 'participant_connection_aborted',
      room: { sid: 'RM_x', name: room },
      participant: { sid: 'PA_x', identity: 'user-9' },
    });
    const [webhook] = received;
    await expect(sfu().receiveWebhook(webhook!.body, webhook!.authorization)).resolves.toMatchObject({
      kind: 'participant-left',
      room,
      identity: 'user-9',
    });
  });

  it.each<WebhookForgery>(['tampered-body', 'wrong-secret', 'unsigned'])(
    'refuse a webhook %s',
    async (forge) => {
      await livekit.settle();
      received.length = 0;
      await livekit.deliver(
        {
          event: 'participant_joined',
          room: { sid: 'RM_x', name: 'call-x' },
          participant: { sid: 'PA_x', identity: 'user-1' },
        },
        { forge },
      );
      const [webhook] = received;
      await expectRefusedWebhook(webhook!.body, webhook!.authorization);
    },
  );

  it('refuse a genuine signature over another body, and a Bearer-prefixed one', async () => {
    const room = newRoom();
    await livekit.settle();
    received.length = 0;
    await livekit.join(room, 'user-1');
    const [started, joined] = received;
    await expect(sfu().receiveWebhook(joined!.body, joined!.authorization)).resolves.toMatchObject({
      kind: 'participant-joined',
    });
    await expectRefusedWebhook(started!.body, joined!.authorization);
    await expectRefusedWebhook(joined!.body.replace('user-1', 'user-2'), joined!.authorization);
    await expectRefusedWebhook(joined!.body, `Bearer ${joined!.authorization}`);
  });
});

describe('openSfu', () => {
  it('is null without LIVEKIT_URL: calls go peer to peer', async () => {
    expect(await openSfu({ config: loadConfig({}), logger })).toBeNull();
  });

  it('gives clients LIVEKIT_URL and calls the API at its http form', async () => {
    const opened = await openSfu({ config: loadConfig(livekit.env()), logger });
    expect(opened?.url).toBe(livekit.url);
    const room = newRoom();
    await opened!.createRoom(room, { emptyTimeoutSeconds: 30, maxParticipants: 2 });
    expect(livekit.room(room)).toBeDefined();
  });

  it('calls the API at LIVEKIT_API_URL when set', async () => {
    const config = loadConfig({
      ...livekit.env(),
      LIVEKIT_URL: 'wss://livekit.invalid',
      LIVEKIT_API_URL: livekit.apiUrl,
    });
    const opened = await openSfu({ config, logger });
    expect(opened?.url).toBe('wss://livekit.invalid');
    const room = newRoom();
    await opened!.createRoom(room, { emptyTimeoutSeconds: 30, maxParticipants: 2 });
    expect(livekit.room(room)).toBeDefined();
  });
});
