import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { SecureConnectClient } from '../src/client';
import { type ConnectionState, RealtimeClient } from '../src/realtime';
import type { ConversationEvent } from '../src/types';

const WAIT = { timeout: 10_000, interval: 10 };
const CONVERSATION = 'c0ffee00-0000-4000-8000-000000000001';

/**
 * A stand-in gateway whose every move the test scripts: it records what clients send and
 * answers only what it is told to. The real gateway is exercised end to end in tests/e2e.
 */
class ScriptedGateway {
  readonly server: WebSocketServer;
  /** Every connection, oldest first, with the URL it asked for and the frames it sent. */
  readonly connections: { socket: WebSocket; url: string; received: Record<string, unknown>[] }[] = [];

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/v1/realtime`;
  }

  /** Listens on `port` (any free one by default). */
  static async start(port = 0): Promise<ScriptedGateway> {
    const gateway = new ScriptedGateway(port);
    await once(gateway.server, 'listening');
    return gateway;
  }

  private constructor(port: number) {
    this.server = new WebSocketServer({ port, host: '127.0.0.1' });
    this.server.on('connection', (socket, request) => {
      const connection = { socket, url: request.url ?? '', received: [] as Record<string, unknown>[] };
      this.connections.push(connection);
      socket.on('message', (data) => connection.received.push(JSON.parse(data.toString())));
    });
  }

  get latest() {
    const connection = this.connections.at(-1);
    if (!connection) throw new Error('no connection yet');
    return connection;
  }

  /** Waits for connection `index` to authenticate, then answers `ready`. */
  async accept(index: number, conversationIds: string[] = []): Promise<void> {
    await vi.waitFor(
      () => expect(this.connections[index]?.received[0]).toMatchObject({ type: 'auth' }),
      WAIT,
    );
    this.connections[index]?.socket.send(JSON.stringify({ type: 'ready', userId: 'me', conversationIds }));
  }

  send(frame: unknown): void {
    this.latest.socket.send(JSON.stringify(frame));
  }

  async close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    this.server.close();
    await once(this.server, 'close');
  }
}

/** The REST side the realtime client leans on: an empty event log, and a refresh that works. */
function restClient(refreshes: string[] = []) {
  return new SecureConnectClient({
    baseUrl: 'http://api.example.test',
    tokens: { accessToken: 'access-1', refreshToken: 'refresh-1' },
    fetch: async (input, init) => {
      const url = new URL(String(input));
      if (url.pathname === '/v1/auth/refresh') {
        refreshes.push(String(init?.body));
        const n = refreshes.length + 1;
        return Response.json({
          user: {},
          accessToken: `access-${n}`,
          refreshToken: `refresh-${n}`,
          expiresIn: 900,
        });
      }
      return Response.json({ items: [], lastSeq: 0 });
    },
  });
}

let gateway: ScriptedGateway;
let realtime: RealtimeClient | undefined;
beforeEach(async () => {
  gateway = await ScriptedGateway.start();
});
afterEach(async () => {
  realtime?.close();
  await gateway.close();
});

function start(client = restClient(), options: ConstructorParameters<typeof RealtimeClient>[1] = {}) {
  realtime = new RealtimeClient(client, {
    WebSocket,
    backoff: { initialDelayMs: 5, maxDelayMs: 20 },
    ...options,
    url: options.url ?? gateway.url,
  });
  const states: ConnectionState[] = [];
  realtime.on('state', (state) => states.push(state));
  return { realtime, states };
}

/** A client connected on the gateway's first socket, recording its states and errors. */
async function startOpen(client: ReturnType<typeof restClient>) {
  const { realtime, states } = start(client);
  const errors: unknown[] = [];
  realtime.on('error', (error) => errors.push(error));
  const connected = realtime.connect();
  await gateway.accept(0);
  await connected;
  return { realtime, states, errors };
}

describe('RealtimeClient', () => {
  it('authenticates with its first frame, never with a token in the URL', async () => {
    const { realtime } = start();
    const connected = realtime.connect();
    await gateway.accept(0);
    await connected;
    expect(gateway.latest.url).toBe('/v1/realtime');
    expect(gateway.latest.received[0]).toEqual({ type: 'auth', token: 'access-1' });
    expect(realtime.state).toBe('open');
  });

  it.each([
    ['the gateway shutting down', 1001],
    ['being a slow consumer', 4429],
    ['an unexpected close', 1011],
  ])('reconnects after %s (%i)', async (_why, code) => {
    const { realtime, states } = start();
    const connected = realtime.connect();
    await gateway.accept(0);
    await connected;
    gateway.latest.socket.close(code, 'bye');
    await vi.waitFor(() => expect(gateway.connections).toHaveLength(2), WAIT);
    await gateway.accept(1);
    await vi.waitFor(() => expect(realtime.state).toBe('open'), WAIT);
    expect(states).toEqual([
      'connecting',
      'authenticating',
      'open',
      'reconnecting',
      'connecting',
      'authenticating',
      'open',
    ]);
  });

  it('keeps trying while the gateway is unreachable, and connects once it is back', async () => {
    const port = gateway.port;
    await gateway.close();
    const { realtime, states } = start(restClient(), { url: `ws://127.0.0.1:${port}/v1/realtime` });
    const connected = realtime.connect();
    await vi.waitFor(
      () => expect(states.filter((state) => state === 'reconnecting').length).toBeGreaterThan(3),
      WAIT,
    );
    gateway = await ScriptedGateway.start(port);
    await gateway.accept(0);
    await connected;
    expect(realtime.state).toBe('open');
  });

  it('renews the token once on 4401 and authenticates with the new one', async () => {
    const refreshes: string[] = [];
    const { realtime } = start(restClient(refreshes));
    const connected = realtime.connect();
    await vi.waitFor(() => expect(gateway.connections[0]?.received).toHaveLength(1), WAIT);
    gateway.latest.socket.close(4401, 'token expired');
    await gateway.accept(1);
    await connected;
    expect(refreshes).toEqual([JSON.stringify({ refreshToken: 'refresh-1' })]);
    expect(gateway.connections[1]?.received[0]).toEqual({ type: 'auth', token: 'access-2' });
  });

  it('gives up when the renewed token is refused too, instead of looping', async () => {
    const refreshes: string[] = [];
    const { realtime } = start(restClient(refreshes));
    const errors: unknown[] = [];
    realtime.on('error', (error) => errors.push(error));
    const connected = realtime.connect();
    await vi.waitFor(() => expect(gateway.connections[0]?.received).toHaveLength(1), WAIT);
    gateway.latest.socket.close(4401, 'no');
    await vi.waitFor(() => expect(gateway.connections[1]?.received).toHaveLength(1), WAIT);
    gateway.latest.socket.close(4401, 'still no');
    await expect(connected).rejects.toThrow(/session has ended/);
    expect(realtime.state).toBe('closed');
    expect(refreshes).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it('does not reconnect after close()', async () => {
    const { realtime } = start();
    const connected = realtime.connect();
    await gateway.accept(0);
    await connected;
    realtime.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(gateway.connections).toHaveLength(1);
    expect(realtime.state).toBe('closed');
  });

  it('pings, and replaces a socket that stops answering', async () => {
    const { realtime } = start(restClient(), { pingIntervalMs: 50, pongTimeoutMs: 50 });
    const connected = realtime.connect();
    await gateway.accept(0);
    await connected;
    await vi.waitFor(() => expect(gateway.latest.received).toContainEqual({ type: 'ping' }), WAIT);
    // The gateway never answers a ping here: the client must conclude the socket is dead.
    await vi.waitFor(() => expect(gateway.connections).toHaveLength(2), WAIT);
  });

  it('hands live events over in seq order once each, and asserts its presence again after a reconnect', async () => {
    const { realtime } = start();
    const events: ConversationEvent[] = [];
    realtime.on('event', (event) => events.push(event));
    realtime.setPresence('away');
    const connected = realtime.connect();
    await gateway.accept(0, [CONVERSATION]);
    await connected;
    const frame = (seq: number) => ({
      type: 'event',
      event: 'read',
      conversationId: CONVERSATION,
      seq,
      data: {},
    });
    for (const seq of [1, 2, 2, 3]) gateway.send(frame(seq));
    await vi.waitFor(() => expect(events.map((event) => event.seq)).toEqual([1, 2, 3]), WAIT);
    expect(events[0]).toEqual({ event: 'read', conversationId: CONVERSATION, seq: 1, data: {} });
    expect(gateway.latest.received).toContainEqual({ type: 'presence', status: 'away' });

    gateway.latest.socket.close(1001, 'restart');
    await vi.waitFor(() => expect(gateway.connections).toHaveLength(2), WAIT);
    await gateway.accept(1, [CONVERSATION]);
    for (const seq of [3, 4]) gateway.send(frame(seq));
    await vi.waitFor(() => expect(events.map((event) => event.seq)).toEqual([1, 2, 3, 4]), WAIT);
    expect(gateway.latest.received).toContainEqual({ type: 'presence', status: 'away' });
    expect(realtime.cursors()).toEqual({ [CONVERSATION]: 4 });
  });
});

/** An unsigned JWT living `lifetimeSeconds` from now: the SDK reads tokens, it never verifies them. */
function jwt(lifetimeSeconds: number, jti: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'EdDSA', typ: 'at+jwt' })}.${part({ sub: 'me', jti, iat, exp: iat + lifetimeSeconds })}.c2ln`;
}

/**
 * The REST side with JWT access tokens of `lifetimeSeconds`: `refresh(n)` answers the n-th
 * refresh (1 for the first), by default with a new pair; `users/me` accepts the newest access
 * token only, as the server does once the older one expired.
 */
function sessionApi({
  lifetimeSeconds = 2,
  refresh,
}: {
  lifetimeSeconds?: number;
  refresh?: (n: number) => Promise<Response | undefined> | Response | undefined;
} = {}) {
  const issued = [jwt(lifetimeSeconds, 'token-1')];
  const refreshes: string[] = [];
  const problem = (status: number, title: string) =>
    Response.json({ type: 'about:blank', title, status, detail: title }, { status });
  const client = new SecureConnectClient({
    baseUrl: 'http://api.example.test',
    tokens: { accessToken: issued[0] as string, refreshToken: 'refresh-1' },
    fetch: async (input, init) => {
      const url = new URL(String(input));
      if (url.pathname === '/v1/auth/refresh') {
        refreshes.push(JSON.parse(String(init?.body)).refreshToken);
        const n = refreshes.length;
        const answer = await refresh?.(n);
        if (answer) return answer;
        const accessToken = jwt(lifetimeSeconds, `token-${n + 1}`);
        issued.push(accessToken);
        return Response.json({
          user: {},
          accessToken,
          refreshToken: `refresh-${n + 1}`,
          expiresIn: lifetimeSeconds,
        });
      }
      if (url.pathname === '/v1/users/me') {
        const bearer = new Headers(init?.headers).get('authorization');
        return bearer === `Bearer ${issued.at(-1)}`
          ? Response.json({ id: 'me' })
          : problem(401, 'Unauthorized');
      }
      return Response.json({ items: [], lastSeq: 0 });
    },
  });
  return { client, issued, refreshes, problem };
}

/** The tokens of the `auth` frames a connection sent, in order. */
function authTokens(index: number): unknown[] {
  return (gateway.connections[index]?.received ?? [])
    .filter((frame) => frame.type === 'auth')
    .map((frame) => frame.token);
}

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('RealtimeClient token renewal on the open socket', () => {
  it('renews the token before it expires and sends it on the same socket, for each new token', async () => {
    const { client, issued, refreshes } = sessionApi({ lifetimeSeconds: 2 });
    const { states, errors } = await startOpen(client);

    await vi.waitFor(() => expect(authTokens(0)).toHaveLength(3), WAIT);
    expect(authTokens(0)).toEqual(issued.slice(0, 3));
    expect(refreshes).toEqual(['refresh-1', 'refresh-2']);
    expect(gateway.connections).toHaveLength(1);
    expect(states).toEqual(['connecting', 'authenticating', 'open']);
    expect(errors).toEqual([]);
  });

  it('hands the open socket the tokens the REST client renewed for another reason', async () => {
    const { client, issued } = sessionApi({ lifetimeSeconds: 900 });
    const { realtime } = start(client);
    const connected = realtime.connect();
    await gateway.accept(0);
    await connected;

    await client.auth.refresh();
    await vi.waitFor(() => expect(authTokens(0)).toEqual([issued[0], issued[1]]), WAIT);
    expect(gateway.connections).toHaveLength(1);
  });

  it('sends right after ready the tokens renewed while the socket was authenticating', async () => {
    const { client, issued } = sessionApi({ lifetimeSeconds: 900 });
    const { realtime } = start(client);
    const connected = realtime.connect();
    await vi.waitFor(() => expect(authTokens(0)).toEqual([issued[0]]), WAIT);
    await client.auth.refresh();
    await gateway.accept(0);
    await connected;

    await vi.waitFor(() => expect(authTokens(0)).toEqual([issued[0], issued[1]]), WAIT);
  });

  it('shares one refresh with REST calls renewing at the same time', async () => {
    const refreshing = gate();
    const { client, issued, refreshes } = sessionApi({
      lifetimeSeconds: 1,
      refresh: async () => {
        await refreshing.opened;
        return undefined;
      },
    });
    const { realtime } = start(client);
    const connected = realtime.connect();
    await gateway.accept(0);
    await connected;

    await vi.waitFor(() => expect(refreshes).toHaveLength(1), WAIT);
    // The socket's renewal waits on the refresh; a REST call is refused its token meanwhile.
    const me = client.users.me();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(refreshes).toHaveLength(1);
    refreshing.open();
    expect(await me).toEqual({ id: 'me' });
    await vi.waitFor(() => expect(authTokens(0)).toEqual([issued[0], issued[1]]), WAIT);
    expect(refreshes).toEqual(['refresh-1']);
  });

  it.each([
    ['new tokens', undefined],
    ['a passing failure', 503],
    ['a refusal', 401],
  ])('does nothing after close() when a refresh in flight answers with %s', async (_what, status) => {
    const refreshing = gate();
    const { client, refreshes, problem } = sessionApi({
      lifetimeSeconds: 1,
      refresh: async () => {
        await refreshing.opened;
        return status === undefined ? undefined : problem(status, 'No');
      },
    });
    const { realtime, states, errors } = await startOpen(client);
    await vi.waitFor(() => expect(refreshes).toHaveLength(1), WAIT);

    realtime.close();
    refreshing.open();
    // Tokens live 1 s here: a renewal still armed would come within half of that.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(refreshes).toHaveLength(1);
    expect(authTokens(0)).toHaveLength(1);
    expect(errors).toEqual([]);
    expect(states.at(-1)).toBe('closed');
  });

  it('arms no renewal once closed before the first renewal was due', async () => {
    const { client, refreshes } = sessionApi({ lifetimeSeconds: 1 });
    const { realtime } = start(client);
    const connected = realtime.connect();
    await gateway.accept(0);
    await connected;
    realtime.close();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(refreshes).toEqual([]);
  });

  it('ends the session when the refresh is refused, as on a refused 4401 renewal', async () => {
    const { client, refreshes, problem } = sessionApi({
      lifetimeSeconds: 1,
      refresh: () => problem(401, 'Unauthorized'),
    });
    const { realtime, states, errors } = await startOpen(client);
    const closed = once(gateway.latest.socket, 'close');

    await vi.waitFor(() => expect(realtime.state).toBe('closed'), WAIT);
    expect(errors).toEqual([expect.objectContaining({ status: 401 })]);
    expect(refreshes).toHaveLength(1);
    expect(client.tokens).toBeUndefined();
    expect((await closed)[0]).toBe(1000);
    expect(gateway.connections).toHaveLength(1);
    expect(states).toEqual(['connecting', 'authenticating', 'open', 'closed']);
  });

  it('retries a refresh that failed for a passing reason, with backoff, on the same socket', async () => {
    const { client, issued, refreshes, problem } = sessionApi({
      lifetimeSeconds: 2,
      refresh: (n) => (n <= 2 ? problem(503, 'Service Unavailable') : undefined),
    });
    const { states, errors } = await startOpen(client);

    await vi.waitFor(() => expect(authTokens(0)).toHaveLength(2), WAIT);
    expect(authTokens(0)).toEqual([issued[0], issued[1]]);
    expect(refreshes).toEqual(['refresh-1', 'refresh-1', 'refresh-1']);
    expect(errors).toEqual([
      expect.objectContaining({ status: 503 }),
      expect.objectContaining({ status: 503 }),
    ]);
    expect(gateway.connections).toHaveLength(1);
    expect(states).toEqual(['connecting', 'authenticating', 'open']);
  });

  it('still renews and reconnects on 4401 when the token expires before a refresh gets through', async () => {
    const slow = gate();
    const { client, issued, refreshes, problem } = sessionApi({
      lifetimeSeconds: 1,
      refresh: async (n) => {
        if (n === 1) return problem(503, 'Service Unavailable');
        await slow.opened;
        return undefined;
      },
    });
    const { realtime } = start(client);
    const errors: unknown[] = [];
    realtime.on('error', (error) => errors.push(error));
    const connected = realtime.connect();
    await gateway.accept(0);
    await connected;
    // The first renewal failed; its retry hangs while the token expires, and the gateway says so.
    await vi.waitFor(() => expect(refreshes).toHaveLength(2), WAIT);
    gateway.latest.socket.close(4401, 'token expired');
    await vi.waitFor(() => expect(realtime.state).toBe('reconnecting'), WAIT);
    slow.open();

    await gateway.accept(1);
    await vi.waitFor(() => expect(realtime.state).toBe('open'), WAIT);
    // The 4401 renewal waited on the retry's refresh rather than starting a second one.
    expect(refreshes).toEqual(['refresh-1', 'refresh-1']);
    expect(authTokens(0)).toEqual([issued[0]]);
    expect(authTokens(1)).toEqual([issued[1]]);
    expect(errors).toEqual([expect.objectContaining({ status: 503 })]);
    expect(gateway.connections).toHaveLength(2);
  });
});
