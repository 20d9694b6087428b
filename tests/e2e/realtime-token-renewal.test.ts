import type { RealtimeClient, RealtimeClientOptions, TokenPair } from '@secureconnect/client';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { TestServer } from '../../shared/src/testing/test-server';
import { connectRealtime, registerUsers, sendMessages, startSdkDevServer, WAIT } from '../support/sdk';

/** The shortest access-token lifetime the server accepts (shared/src/config/env.ts). */
const TOKEN_TTL_SECONDS = 30;

let server: TestServer;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  ({ server } = await startSdkDevServer({ ACCESS_TOKEN_TTL_SECONDS: String(TOKEN_TTL_SECONDS) }));
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server?.close();
});

/** Every socket the SDK opened, with the frames it sent, in order. */
function recordingWebSocket(): {
  sockets: { sent: Record<string, unknown>[] }[];
  WebSocket: RealtimeClientOptions['WebSocket'];
} {
  const sockets: { sent: Record<string, unknown>[] }[] = [];
  class RecordingWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      const record = { sent: [] as Record<string, unknown>[] };
      sockets.push(record);
      const send = this.send.bind(this);
      this.send = ((data: string) => {
        record.sent.push(JSON.parse(data));
        send(data);
      }) as typeof this.send;
    }
  }
  return { sockets, WebSocket: RecordingWebSocket };
}

/** A JWT's `exp` in ms, read here independently of the SDK. */
function expiresAt(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
    exp: number;
  };
  return payload.exp * 1000;
}

function until(time: number): Promise<void> {
  return new Promise((done) => setTimeout(done, Math.max(0, time - Date.now())));
}

it(
  'a client stays on one socket across access-token expiries: it renews the token and re-authenticates the open socket, and receives every message once, in order',
  async () => {
    const [sender, receiver] = await registerUsers(server.url, 'Sender', 'Listener');
    const direct = (await sender.client.conversations.create({ type: 'direct', userId: receiver.id })).id;
    const recording = recordingWebSocket();
    const { realtime, recorder } = await connectRealtime(receiver, { WebSocket: recording.WebSocket });
    clients.push(realtime);
    const errors: unknown[] = [];
    realtime.on('error', (error) => errors.push(error));
    const authTokens = () =>
      (recording.sockets[0]?.sent ?? [])
        .filter((frame) => frame.type === 'auth')
        .map((frame) => frame.token as string);
    expect(authTokens()).toEqual([(receiver.client.tokens as TokenPair).accessToken]);

    const expected: string[] = [];
    for (const round of [1, 2]) {
      // The round-th token this socket authenticated with; by now the SDK has handed it a newer one.
      const token = authTokens()[round - 1] as string;
      await until(expiresAt(token) + 1000);
      expect(authTokens().length).toBeGreaterThan(round);
      // A token the REST client renews by itself goes to the socket too (mid-test, so it must keep working).
      if (round === 1) {
        const renewed = await receiver.client.auth.refresh();
        await vi.waitFor(() => expect(authTokens().at(-1)).toBe(renewed.accessToken), WAIT);
      }
      const sent = await sendMessages(sender, direct, 3, { prefix: `after expiry ${round}:` });
      expected.push(...sent.map((message) => message.body));
      await vi.waitFor(() => expect(recorder.bodies(direct)).toEqual(expected), WAIT);
    }

    // One socket, one `ready`, never a reconnect: the expiries were crossed by re-authenticating.
    expect(recording.sockets).toHaveLength(1);
    expect(recorder.readyCount).toBe(1);
    expect(recorder.states).toEqual(['connecting', 'authenticating', 'open']);
    expect(realtime.state).toBe('open');
    // Each token sent was a new one, living longer than the one before; the socket holds the client's.
    const sentTokens = authTokens();
    expect(new Set(sentTokens).size).toBe(sentTokens.length);
    const expiries = sentTokens.map(expiresAt);
    expect(expiries).toEqual([...expiries].sort((a, b) => a - b));
    expect(sentTokens.at(-1)).toBe(receiver.client.tokens?.accessToken);
    // Exactly once, in seq order.
    const seqs = recorder.in(direct).map((event) => event.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    expect(errors).toEqual([]);
  },
  (3 * TOKEN_TTL_SECONDS + 30) * 1000,
);
