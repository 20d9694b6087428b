import { once } from 'node:events';
import { type BootedServer, bootFunctions } from '@secureconnect/shared/http/boot';
import type { Platform } from '@secureconnect/shared/platform/platform';
import type { TestAccount } from '@secureconnect/shared/testing/accounts';
import { startTestServer, type TestServer } from '@secureconnect/shared/testing/test-server';
import { vi } from 'vitest';
import { WebSocket } from 'ws';
import { loadFunctions } from '../../scripts/lib/function-catalog';
import { createRealtimeGateway, REALTIME_PATH } from '../src/gateway';

/** Generous: these bound waits for things that normally take milliseconds. */
export const WAIT = { timeout: 10_000, interval: 20 };

/** A frame as a client parses it. */
// biome-ignore lint/suspicious/noExplicitAny: tests read frames loosely, as a client would
export type Frame = Record<string, any>;

/**
 * The account functions (to register and log in over HTTP) and the realtime gateway on one port,
 * booted exactly as the dev server hosts them, on the run's real backends.
 */
export async function startRealtimeTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const functions = (await loadFunctions()).filter((fn) => /^(auth|users)-/.test(fn.name));
  return startTestServer({
    env,
    boot: (serverEnv): Promise<BootedServer> =>
      bootFunctions({
        service: 'test',
        functions,
        env: serverEnv,
        handleSignals: false,
        async websockets(app, platform) {
          const gateway = await createRealtimeGateway(platform);
          gateway.mount(app);
          return gateway;
        },
      }),
  });
}

/** A conversation with these members, written straight to the tables the membership directory reads. */
export async function createConversation(platform: Platform, memberIds: string[]): Promise<string> {
  const { db } = await platform.database();
  const [owner] = memberIds;
  if (!owner) throw new Error('a conversation needs a member');
  const { id } = await db
    .insertInto('conversations')
    .values({ type: 'group', title: 'test', created_by: owner, updated_at: new Date() })
    .returning('id')
    .executeTakeFirstOrThrow();
  await addMember(platform, id, ...memberIds);
  return id;
}

export async function addMember(
  platform: Platform,
  conversationId: string,
  ...userIds: string[]
): Promise<void> {
  const { db } = await platform.database();
  await db
    .insertInto('conversation_members')
    .values(userIds.map((user_id) => ({ conversation_id: conversationId, user_id })))
    .execute();
}

/** A real WebSocket client that records every text frame, in order, exactly as received. */
export class TestClient {
  /** Frames as the raw text the socket delivered. */
  readonly raw: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.raw.push(data.toString());
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Opens `/v1/realtime` on a server (no token anywhere in the URL). */
  static async connect(server: { url: string }): Promise<TestClient> {
    const ws = new WebSocket(server.url.replace(/^http/, 'ws') + REALTIME_PATH);
    const client = new TestClient(ws);
    await once(ws, 'open');
    return client;
  }

  /** Connects, authenticates with the account's token and waits for `ready`. */
  static async ready(
    server: { url: string },
    account: Pick<TestAccount, 'accessToken'>,
  ): Promise<TestClient> {
    const client = await TestClient.connect(server);
    client.send({ type: 'auth', token: account.accessToken });
    await client.next((frame) => frame.type === 'ready');
    return client;
  }

  get frames(): Frame[] {
    return this.raw.map((text) => JSON.parse(text) as Frame);
  }

  /** Frames of one type, in arrival order. */
  ofType(type: string): Frame[] {
    return this.frames.filter((frame) => frame.type === type);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame (already received or still to come) that matches. */
  async next(matches: (frame: Frame) => boolean): Promise<Frame> {
    return vi.waitFor(() => {
      const found = this.frames.find(matches);
      if (!found) throw new Error(`no matching frame yet; got ${this.raw.join('\n')}`);
      return found;
    }, WAIT);
  }

  close(): void {
    this.ws.close();
  }
}

/** Lets pending deliveries land before asserting that something did NOT arrive. */
export async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
}
