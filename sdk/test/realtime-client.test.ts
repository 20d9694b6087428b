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
