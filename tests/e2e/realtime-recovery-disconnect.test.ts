import { RealtimeClient } from '@secureconnect/client';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { TestServer } from '../../shared/src/testing/test-server';
import {
  connectRealtime,
  FAST_BACKOFF,
  Network,
  Recorder,
  registerUsers,
  type SdkUser,
  sendMessages,
  settle,
  startSdkDevServer,
  WAIT,
} from '../support/sdk';

let server: TestServer;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  ({ server } = await startSdkDevServer());
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server?.close();
});

const bodies = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => `message ${from + index}`);

async function pair(): Promise<{ sender: SdkUser; receiver: SdkUser; direct: string }> {
  const [sender, receiver] = await registerUsers(server.url, 'Sam', 'Rae');
  const direct = (await sender.client.conversations.create({ type: 'direct', userId: receiver.id })).id;
  return { sender, receiver, direct };
}

it('a client whose network drops while 100 messages are sent reconnects by itself and ends with exactly those messages, in order', async () => {
  const { sender, receiver, direct } = await pair();
  const network = new Network();
  const { realtime, recorder } = await connectRealtime(receiver, { WebSocket: network.WebSocket });
  clients.push(realtime);

  // 20 live, 100 while the network is down, 20 more while the client reconnects and catches up.
  await sendMessages(sender, direct, 140, {
    onSent: async (sent) => {
      if (sent === 20) {
        await vi.waitFor(() => expect(recorder.in(direct)).toHaveLength(20), WAIT);
        network.cut();
        await vi.waitFor(() => expect(realtime.state).toBe('reconnecting'), WAIT);
      }
      if (sent === 120) network.restore();
    },
  });

  await vi.waitFor(() => expect(recorder.in(direct)).toHaveLength(140), WAIT);
  await settle();
  expect(recorder.bodies(direct)).toEqual(bodies(1, 140));
  expect(recorder.in(direct).map((event) => event.seq)).toEqual(bodies(1, 140).map((_, index) => index + 1));
  expect(realtime.cursor(direct)).toBe(140);
  // The 100 sent while offline never came over a socket: the catch-up fetched them from the log.
  expect(network.eventSeqs(direct).filter((seq) => seq > 20 && seq <= 120)).toEqual([]);
  // It really was disconnected, and came back on its own.
  expect(recorder.readyCount).toBeGreaterThanOrEqual(2);
  expect(recorder.states).toContain('reconnecting');
});

it('an app that closed while 100 messages were sent resumes from its saved cursors without replaying or missing any', async () => {
  const { sender, receiver, direct } = await pair();
  const first = await connectRealtime(receiver);
  await sendMessages(sender, direct, 10);
  await vi.waitFor(() => expect(first.recorder.in(direct)).toHaveLength(10), WAIT);
  const saved = JSON.parse(JSON.stringify(first.realtime.cursors())) as Record<string, number>;
  first.realtime.close();
  expect(saved).toEqual({ [direct]: 10 });

  const sent = await sendMessages(sender, direct, 100, { prefix: 'offline' });

  const resumed = new RealtimeClient(receiver.client, { WebSocket, backoff: FAST_BACKOFF, cursors: saved });
  clients.push(resumed);
  const recorder = new Recorder(resumed);
  await resumed.connect();
  await vi.waitFor(() => expect(recorder.in(direct)).toHaveLength(100), WAIT);
  await settle();
  expect(recorder.in(direct).map((event) => event.seq)).toEqual(sent.map((message) => message.seq));
  expect(recorder.bodies(direct)).toEqual(sent.map((message) => message.body));
  expect(resumed.cursors()).toEqual({ [direct]: 110 });
});
