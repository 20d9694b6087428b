import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import {
  type ConnectionState,
  type ConversationEvent,
  type Message,
  RealtimeClient,
  type RealtimeClientOptions,
  SecureConnectClient,
} from '@secureconnect/client';
import { WebSocket } from 'ws';
import { startDevServer } from '../../scripts/lib/dev-server';
import { startTestServer, type TestServer } from '../../shared/src/testing/test-server';

const ROOT = resolve(import.meta.dirname, '../..');

/** Generous bounds on waits for what normally takes milliseconds (a reconnect, a catch-up). */
export const WAIT = { timeout: 20_000, interval: 25 };

/** Reconnect quickly in tests; the production default starts at 250 ms and caps at 15 s. */
export const FAST_BACKOFF = { initialDelayMs: 50, maxDelayMs: 500 };

/**
 * The dev server (every function and the gateway at /v1/realtime) on the run's PostgreSQL and
 * Redis, as tests/e2e/account-flow.test.ts boots it. `env` holds what the server was started
 * with, for a second process (a standalone gateway) to share its database, keys and Redis prefix.
 */
export async function startSdkDevServer(
  overrides: Record<string, string> = {},
): Promise<{ server: TestServer; env: Record<string, string> }> {
  let env: Record<string, string> = {};
  const server = await startTestServer({
    env: { RATE_LIMIT_SEND_MESSAGE: '100000/60', ...overrides },
    boot: (serverEnv) => {
      env = serverEnv;
      return startDevServer({ env: serverEnv, handleSignals: false });
    },
  });
  return { server, env };
}

/** A registered user with their own SDK client. */
export interface SdkUser {
  id: string;
  name: string;
  email: string;
  password: string;
  client: SecureConnectClient;
}

/** Registers a fresh account through the SDK; the client holds its session. */
export async function registerUser(baseUrl: string, name: string): Promise<SdkUser> {
  const client = new SecureConnectClient({ baseUrl });
  const email = `${name.toLowerCase()}-${crypto.randomUUID()}@example.test`;
  const password = 'correct horse battery staple';
  const session = await client.auth.register({ email, password, displayName: name });
  return { id: session.user.id, name, email, password, client };
}

/** Registers one fresh account per name, in parallel; a tuple as long as `names`. */
export function registerUsers<const Names extends readonly string[]>(
  baseUrl: string,
  ...names: Names
): Promise<{ [K in keyof Names]: SdkUser }> {
  return Promise.all(names.map((name) => registerUser(baseUrl, name))) as Promise<{
    [K in keyof Names]: SdkUser;
  }>;
}

/**
 * A switch between the test's WebSockets and the server: `cut()` drops every open socket, like
 * a lost network, and refuses new ones until `restore()`. The SDK sees ordinary closes and
 * failed connects, and must recover by itself.
 */
export class Network {
  private online = true;
  private readonly sockets = new Set<WebSocket>();
  /** Every text frame each socket received, raw, in arrival order. */
  readonly frames: string[] = [];

  /** A WebSocket class for `RealtimeClientOptions.WebSocket` that goes through this network. */
  readonly WebSocket: RealtimeClientOptions['WebSocket'];

  constructor() {
    const network = this;
    this.WebSocket = class NetworkWebSocket extends WebSocket {
      constructor(url: string) {
        // Port 1 refuses: what connecting looks like while offline.
        super(network.online ? url : 'ws://127.0.0.1:1/offline');
        network.sockets.add(this);
        this.on('message', (data, isBinary) => {
          if (!isBinary) network.frames.push(data.toString());
        });
        this.on('close', () => network.sockets.delete(this));
      }
    };
  }

  cut(): void {
    this.online = false;
    for (const socket of this.sockets) socket.terminate();
  }

  restore(): void {
    this.online = true;
  }

  /** The durable event frames received for one conversation, as `seq`s in arrival order. */
  eventSeqs(conversationId: string): number[] {
    return this.frames
      .map((text) => JSON.parse(text) as { type: string; conversationId?: string; seq?: number })
      .filter((frame) => frame.type === 'event' && frame.conversationId === conversationId)
      .map((frame) => frame.seq as number);
  }
}

/** Everything a realtime client handed to the app, in order. */
export class Recorder {
  readonly events: ConversationEvent[] = [];
  readonly typing: { conversationId: string; userId: string }[] = [];
  readonly presence: { userId: string; status: string }[] = [];
  readonly states: ConnectionState[] = [];
  readyCount = 0;

  constructor(realtime: RealtimeClient) {
    realtime.on('event', (event) => this.events.push(event));
    realtime.on('typing', (typing) => this.typing.push(typing));
    realtime.on('presence', (presence) => this.presence.push(presence));
    realtime.on('state', (state) => this.states.push(state));
    realtime.on('ready', () => this.readyCount++);
  }

  /** Events of one conversation, in the order delivered. */
  in(conversationId: string): ConversationEvent[] {
    return this.events.filter((event) => event.conversationId === conversationId);
  }

  /** Bodies of the messages created in a conversation, in the order delivered. */
  bodies(conversationId: string): string[] {
    return this.in(conversationId).flatMap((event) =>
      event.event === 'message.created' ? [event.data.message.body] : [],
    );
  }
}

/** A realtime client for a user, recorded, connected and caught up. */
export async function connectRealtime(
  user: SdkUser,
  options: RealtimeClientOptions = {},
): Promise<{ realtime: RealtimeClient; recorder: Recorder }> {
  const realtime = new RealtimeClient(user.client, {
    WebSocket,
    backoff: FAST_BACKOFF,
    ...options,
  });
  const recorder = new Recorder(realtime);
  const synced = new Promise<void>((resolve) => {
    const off = realtime.on('synced', () => {
      off();
      resolve();
    });
  });
  await realtime.connect();
  await synced;
  return { realtime, recorder };
}

/**
 * Sends `count` messages one after another (so seq order is send order), calling `onSent` after
 * each — the hook where a test breaks something mid-stream. Every send must succeed: an outage
 * of Redis or of a gateway must not fail a send (SPEC §8).
 */
export async function sendMessages(
  user: SdkUser,
  conversationId: string,
  count: number,
  { prefix = 'message', onSent }: { prefix?: string; onSent?: (sent: number) => Promise<void> | void } = {},
): Promise<Message[]> {
  const sent: Message[] = [];
  for (let index = 1; index <= count; index++) {
    sent.push(await user.client.messages.send(conversationId, { body: `${prefix} ${index}` }));
    await onSent?.(index);
  }
  return sent;
}

/** Waits a moment so that anything still in flight would land before asserting it did not. */
export function settle(ms = 500): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

export function freePort(): Promise<number> {
  return new Promise((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

const GATEWAY_START_TIMEOUT_MS = 30_000;

/**
 * The realtime gateway as its own process (`realtime-gateway/src/main.ts`, as production runs it)
 * on a fixed port, so it can be killed and started again where clients expect it.
 */
export class GatewayProcess {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(
    private readonly env: Record<string, string>,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Spawns the gateway and waits until it answers /healthz. */
  async start(): Promise<void> {
    this.output = '';
    const child = spawn(process.execPath, ['--import', 'tsx', 'realtime-gateway/src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...this.env,
        PORT: String(this.port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const deadline = Date.now() + GATEWAY_START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the gateway exited during start-up:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`the gateway did not come up:\n${this.output}`);
      const healthy = await fetch(`${this.url}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
      if (healthy) return;
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  /** SIGKILL, as a crash: no 1001, no drain. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}
