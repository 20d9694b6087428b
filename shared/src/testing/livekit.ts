import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, type JWTPayload, jwtVerify, SignJWT } from 'jose';

/** One call that reached the fake's API, as it arrived, and what it was answered. */
export interface RecordedCall {
  /** The Twirp method (`CreateRoom`, `DeleteRoom`, `ListParticipants`, `ListRooms`), else the path. */
  method: string;
  authorization: string | undefined;
  contentType: string | undefined;
  /** The parsed JSON body; the raw text when it was not JSON. */
  body: unknown;
  /** The HTTP status answered; 0 while unanswered (hanging). */
  status: number;
}

/** A webhook the fake sent, and what the receiver answered (0: no answer, e.g. refused connection). */
export interface WebhookDelivery {
  event: string;
  id: string;
  body: string;
  status: number;
}

/** How {@link TestLivekit.deliver} spoils a webhook. */
export type WebhookForgery = 'wrong-secret' | 'tampered-body' | 'unsigned';

/** A snapshot of a room the fake holds. */
export interface FakeRoom {
  name: string;
  sid: string;
  emptyTimeout: number;
  maxParticipants: number;
  /** Identities, in the order they joined. */
  participants: string[];
}

/** A local LiveKit server API with in-memory rooms; see {@link startLivekit}. */
export interface TestLivekit {
  /** `ws://127.0.0.1:<port>`: LIVEKIT_URL, as clients are given it. */
  url: string;
  /** `http://127.0.0.1:<port>`: where the Twirp API answers. */
  apiUrl: string;
  apiKey: string;
  apiSecret: string;
  /** Where webhooks go; unset, none are sent. */
  webhookUrl: string | undefined;
  /** Every API call received, in order. */
  calls: RecordedCall[];
  /** Every webhook sent, in order. */
  webhooks: WebhookDelivery[];
  /** The LIVEKIT_* variables that point a process at this server. */
  env(): Record<string, string>;
  room(name: string): FakeRoom | undefined;
  /**
   * A participant connects, as LiveKit would see it: the room is created if absent (room_started),
   * a participant with the same identity is replaced (participant_left), then participant_joined.
   *
   * @throws when the room is full (maxParticipants), as LiveKit refuses the connection.
   */
  join(room: string, identity: string): Promise<WebhookDelivery[]>;
  /** A participant disconnects: participant_left. */
  leave(room: string, identity: string): Promise<WebhookDelivery[]>;
  /** The room closes (empty timeout, or deleted): participant_left for each one still in it, then room_finished. */
  finish(room: string): Promise<WebhookDelivery[]>;
  /** Sends one webhook for `event` (the WebhookEvent JSON less `id` and `createdAt`), signed or spoiled. */
  deliver(event: Record<string, unknown>, options?: { forge?: WebhookForgery }): Promise<WebhookDelivery>;
  /** Every API call from now on answers `status` with a Twirp error. */
  fail(status?: number): void;
  /** Every API call from now on gets no answer at all. */
  hang(): void;
  /** Answers again; calls left hanging are dropped. */
  recover(): void;
  /** Resolves when the webhooks that API calls set off (room_started, room deletion) were sent. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** LiveKit's Twirp answer for each error code. */
const TWIRP_STATUS: Record<string, number> = {
  malformed: 400,
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  bad_route: 404,
  internal: 500,
  unavailable: 503,
};

const WEBHOOK_CONTENT_TYPE = 'application/webhook+json';
/** LiveKit's webhook tokens live five minutes. */
const WEBHOOK_TOKEN_SECONDS = 300;
/** The leeway LiveKit's token validation gives clocks (go-jose's default). */
const CLOCK_TOLERANCE_SECONDS = 60;
const DELIVERY_TIMEOUT_MS = 5000;

type Grants = { roomCreate?: boolean; roomList?: boolean; roomAdmin?: boolean; room?: string };

interface Answer {
  status: number;
  body: string;
  contentType: string;
}

const json = (status: number, value: unknown): Answer => ({
  status,
  body: JSON.stringify(value),
  // The SDK parses an error body only when the type is exactly this.
  contentType: 'application/json',
});
const twirpError = (code: string, msg: string): Answer => json(TWIRP_STATUS[code] ?? 500, { code, msg });
/** What LiveKit's auth middleware answers: plain text, before any Twirp handling. */
const authError = (message: string): Answer => ({
  status: 401,
  body: message,
  contentType: 'text/plain; charset=utf-8',
});
const permissionDenied = () => twirpError('unauthenticated', 'permissions denied');

const id = (prefix: string) => `${prefix}${randomBytes(9).toString('base64url')}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The body's field under its JSON name or its proto name, as LiveKit accepts either. */
function field(body: Record<string, unknown>, jsonName: string, protoName: string): unknown {
  return body[jsonName] ?? body[protoName];
}

function sha256Base64(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, { status, body, contentType }: Answer): void {
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

interface StoredRoom {
  name: string;
  sid: string;
  emptyTimeout: number;
  maxParticipants: number;
  creationTime: number;
  /** identity → participant, in the order they joined. */
  members: Map<string, { sid: string; joinedAt: number }>;
}

/**
 * A local HTTP server speaking LiveKit's server API as `livekit-server-sdk` uses it (SPEC §11:
 * only third-party endpoints are faked, speaking their documented protocol):
 *
 * - Twirp over JSON at `POST /twirp/livekit.RoomService/<Method>` — CreateRoom, DeleteRoom,
 *   ListParticipants, ListRooms — answered with proto field names, and Twirp errors
 *   (`{"code":"not_found","msg":…}` with 404) as LiveKit gives them.
 * - Every call's `Authorization: Bearer <jwt>` verified as LiveKit's middleware does: issuer =
 *   the API key, HS256 under the secret, not expired; a bad token gets LiveKit's plain-text 401.
 *   Then the grant the method needs: roomCreate (create, delete), roomList (list rooms), roomAdmin
 *   for that very room (list participants); missing → Twirp `unauthenticated`.
 * - Webhooks as LiveKit's notifier sends them: POST, `Content-Type: application/webhook+json`,
 *   the WebhookEvent in protojson (camelCase, int64 as strings), and `Authorization: <jwt>` (no
 *   Bearer) signed HS256 with the secret: issuer = the API key, nbf, exp = +5 min, and `sha256` =
 *   the base64 SHA-256 of the body — exactly what the SDK's WebhookReceiver checks.
 *
 * @example
 * const livekit = await startLivekit({ webhookUrl: 'http://127.0.0.1:8080/v1/calls/livekit-webhook' });
 * const sfu = await openSfu({ config: loadConfig(livekit.env()), logger });
 * await livekit.join('call-1', userId); // participant_joined delivered, signed
 * livekit.hang();                       // API calls time out from now on
 */
export async function startLivekit({
  apiKey = 'APItestkey',
  apiSecret = randomBytes(24).toString('base64url'),
  webhookUrl = undefined as string | undefined,
} = {}): Promise<TestLivekit> {
  const secretKey = new TextEncoder().encode(apiSecret);
  const rooms = new Map<string, StoredRoom>();
  const calls: RecordedCall[] = [];
  const webhooks: WebhookDelivery[] = [];
  const pending = new Set<Promise<unknown>>();
  const hanging = new Set<ServerResponse>();
  let mode: { kind: 'ok' } | { kind: 'fail'; status: number } | { kind: 'hang' } = { kind: 'ok' };

  const roomJson = (room: StoredRoom) => ({
    sid: room.sid,
    name: room.name,
    empty_timeout: room.emptyTimeout,
    max_participants: room.maxParticipants,
    creation_time: String(room.creationTime),
    num_participants: room.members.size,
  });

  const participantJson = (identity: string, member: { sid: string; joinedAt: number }) => ({
    sid: member.sid,
    identity,
    state: 'ACTIVE',
    joined_at: String(member.joinedAt),
  });

  /** The room and participant as a webhook carries them: protojson, so camelCase. */
  const webhookRoom = (room: StoredRoom) => ({
    sid: room.sid,
    name: room.name,
    emptyTimeout: room.emptyTimeout,
    maxParticipants: room.maxParticipants,
    creationTime: String(room.creationTime),
    numParticipants: room.members.size,
  });
  const webhookParticipant = (
    identity: string,
    member: { sid: string; joinedAt: number },
    state: 'ACTIVE' | 'DISCONNECTED',
  ) => ({ sid: member.sid, identity, state, joinedAt: String(member.joinedAt) });

  async function signWebhook(body: string, secret: Uint8Array): Promise<string> {
    return new SignJWT({ sha256: sha256Base64(body) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(apiKey)
      .setNotBefore(nowSeconds())
      .setExpirationTime(nowSeconds() + WEBHOOK_TOKEN_SECONDS)
      .sign(secret);
  }

  async function deliver(
    event: Record<string, unknown>,
    { forge }: { forge?: WebhookForgery } = {},
  ): Promise<WebhookDelivery> {
    const full = { ...event, id: id('EV_'), createdAt: String(nowSeconds()) };
    const body = JSON.stringify(full);
    const delivery: WebhookDelivery = { event: String(event.event), id: full.id, body, status: 0 };
    webhooks.push(delivery);
    if (!fake.webhookUrl) return delivery;
    const headers: Record<string, string> = { 'content-type': WEBHOOK_CONTENT_TYPE, 'user-agent': 'LiveKit' };
    if (forge !== 'unsigned') {
      const secret = forge === 'wrong-secret' ? new TextEncoder().encode(`${apiSecret}-wrong`) : secretKey;
      headers.authorization = await signWebhook(body, secret);
    }
    // Signed for the body above; the receiver gets the same event turned into a room_finished.
    if (forge === 'tampered-body') delivery.body = JSON.stringify({ ...full, event: 'room_finished' });
    try {
      const answer = await fetch(fake.webhookUrl, {
        method: 'POST',
        headers,
        body: delivery.body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await answer.arrayBuffer();
      delivery.status = answer.status;
    } catch {
      // Nobody answered (refused, reset, timed out): the delivery keeps status 0.
    }
    return delivery;
  }

  /** Webhooks an API call sets off go after its answer, as LiveKit queues them. */
  function later(run: () => Promise<unknown>): void {
    const task = new Promise((resolve) => setImmediate(resolve)).then(run);
    pending.add(task);
    task.finally(() => pending.delete(task)).catch(() => undefined);
  }

  function createRoom(name: string, emptyTimeout: number, maxParticipants: number): StoredRoom {
    const room: StoredRoom = {
      name,
      sid: id('RM_'),
      emptyTimeout,
      maxParticipants,
      creationTime: nowSeconds(),
      members: new Map(),
    };
    rooms.set(name, room);
    return room;
  }

  async function leaveRoom(room: StoredRoom, identity: string): Promise<WebhookDelivery> {
    const member = room.members.get(identity);
    if (!member) throw new Error(`${identity} is not in room ${room.name}`);
    room.members.delete(identity);
    return deliver({
      event: 'participant_left',
      room: webhookRoom(room),
      participant: webhookParticipant(identity, member, 'DISCONNECTED'),
    });
  }

  async function finishRoom(room: StoredRoom): Promise<WebhookDelivery[]> {
    rooms.delete(room.name);
    const deliveries: WebhookDelivery[] = [];
    for (const identity of [...room.members.keys()]) deliveries.push(await leaveRoom(room, identity));
    deliveries.push(await deliver({ event: 'room_finished', room: webhookRoom(room) }));
    return deliveries;
  }

  /** LiveKit's auth middleware: no header passes with no grants; a bad one is refused here. */
  async function authenticate(authorization: string | undefined): Promise<Grants | Answer> {
    if (authorization === undefined) return {};
    if (!authorization.startsWith('Bearer '))
      return authError('invalid authorization header. Must start with Bearer ');
    const token = authorization.slice('Bearer '.length);
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      return authError('invalid authorization token');
    }
    if (claims.iss !== apiKey) return authError(`invalid API key: ${claims.iss}`);
    try {
      const { payload } = await jwtVerify(token, secretKey, {
        algorithms: ['HS256'],
        issuer: apiKey,
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      return (payload.video ?? {}) as Grants;
    } catch (error) {
      // LiveKit quotes the refused token back; the SDK's clients must keep it out of their logs.
      return authError(`invalid token: ${token}, error: ${(error as Error).message}`);
    }
  }

  function roomService(method: string, grants: Grants, body: Record<string, unknown>): Answer {
    switch (method) {
      case 'CreateRoom': {
        if (!grants.roomCreate) return permissionDenied();
        const name = String(body.name ?? '');
        if (!name) return twirpError('invalid_argument', 'room name is required');
        const existing = rooms.get(name);
        // LiveKit answers an existing room as it is.
        if (existing) return json(200, roomJson(existing));
        const room = createRoom(
          name,
          Number(field(body, 'emptyTimeout', 'empty_timeout') ?? 0),
          Number(field(body, 'maxParticipants', 'max_participants') ?? 0),
        );
        later(() => deliver({ event: 'room_started', room: webhookRoom(room) }));
        return json(200, roomJson(room));
      }
      case 'DeleteRoom': {
        if (!grants.roomCreate) return permissionDenied();
        const room = rooms.get(String(body.room ?? ''));
        if (!room) return twirpError('not_found', 'requested room does not exist');
        rooms.delete(room.name);
        later(() => finishRoom(room));
        return json(200, {});
      }
      case 'ListParticipants': {
        const name = String(body.room ?? '');
        if (!grants.roomAdmin || grants.room !== name) return permissionDenied();
        const room = rooms.get(name);
        const participants = room
          ? [...room.members].map(([identity, member]) => participantJson(identity, member))
          : [];
        return json(200, { participants });
      }
      case 'ListRooms': {
        if (!grants.roomList) return permissionDenied();
        const names = Array.isArray(body.names) ? body.names.map(String) : [];
        const listed = [...rooms.values()].filter((room) => names.length === 0 || names.includes(room.name));
        return json(200, { rooms: listed.map(roomJson) });
      }
      default:
        return twirpError('bad_route', `no handler for path "/twirp/livekit.RoomService/${method}"`);
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readBody(request);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const route = /^\/twirp\/livekit\.RoomService\/(\w+)$/.exec(path);
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Recorded as sent; answered below as malformed.
    }
    const call: RecordedCall = {
      method: route?.[1] ?? path,
      authorization: request.headers.authorization,
      contentType: request.headers['content-type'],
      body,
      status: 0,
    };
    calls.push(call);
    const answer = async (): Promise<Answer | undefined> => {
      if (mode.kind === 'hang') return undefined;
      if (mode.kind === 'fail')
        return json(mode.status, {
          code: mode.status === 503 ? 'unavailable' : 'internal',
          msg: 'fake outage',
        });
      if (request.method !== 'POST' || !route)
        return twirpError('bad_route', `unsupported ${request.method} ${path}`);
      if (call.contentType?.split(';')[0]?.trim().toLowerCase() !== 'application/json')
        return twirpError('bad_route', `unexpected Content-Type: "${call.contentType ?? ''}"`);
      const grants = await authenticate(call.authorization);
      if ('status' in grants) return grants;
      if (typeof body !== 'object' || body === null)
        return twirpError('malformed', 'the json request could not be decoded');
      return roomService(route[1] as string, grants, body as Record<string, unknown>);
    };
    const result = await answer();
    if (!result) {
      hanging.add(response);
      response.once('close', () => hanging.delete(response));
      return;
    }
    call.status = result.status;
    send(response, result);
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const dropHanging = () => {
    for (const response of hanging) response.destroy();
    hanging.clear();
  };

  const fake: TestLivekit = {
    url: `ws://127.0.0.1:${port}`,
    apiUrl: `http://127.0.0.1:${port}`,
    apiKey,
    apiSecret,
    webhookUrl,
    calls,
    webhooks,
    env: () => ({ LIVEKIT_URL: fake.url, LIVEKIT_API_KEY: apiKey, LIVEKIT_API_SECRET: apiSecret }),
    room(name) {
      const room = rooms.get(name);
      if (!room) return undefined;
      const { sid, emptyTimeout, maxParticipants, members } = room;
      return { name, sid, emptyTimeout, maxParticipants, participants: [...members.keys()] };
    },
    async join(name, identity) {
      const deliveries: WebhookDelivery[] = [];
      let room = rooms.get(name);
      if (!room) {
        room = createRoom(name, 0, 0);
        deliveries.push(await deliver({ event: 'room_started', room: webhookRoom(room) }));
      }
      if (room.members.has(identity)) deliveries.push(await leaveRoom(room, identity));
      else if (room.maxParticipants > 0 && room.members.size >= room.maxParticipants)
        throw new Error(`room ${name} is full (${room.maxParticipants})`);
      const member = { sid: id('PA_'), joinedAt: nowSeconds() };
      room.members.set(identity, member);
      deliveries.push(
        await deliver({
          event: 'participant_joined',
          room: webhookRoom(room),
          participant: webhookParticipant(identity, member, 'ACTIVE'),
        }),
      );
      return deliveries;
    },
    async leave(name, identity) {
      const room = rooms.get(name);
      if (!room) throw new Error(`no room ${name}`);
      return [await leaveRoom(room, identity)];
    },
    async finish(name) {
      const room = rooms.get(name);
      if (!room) throw new Error(`no room ${name}`);
      return finishRoom(room);
    },
    deliver,
    fail(status = 503) {
      mode = { kind: 'fail', status };
    },
    hang() {
      mode = { kind: 'hang' };
    },
    recover() {
      mode = { kind: 'ok' };
      dropHanging();
    },
    async settle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      dropHanging();
      await fake.settle();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  return fake;
}
