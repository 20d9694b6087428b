import type { RealtimeClient } from '@secureconnect/client';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { TestServer } from '../../shared/src/testing/test-server';
import {
  connectRealtime,
  freePort,
  GatewayProcess,
  registerUsers,
  sendMessages,
  settle,
  startSdkDevServer,
  WAIT,
} from '../support/sdk';

/**
 * The gateway in its own process, as in production, and the HTTP functions in the dev server:
 * two processes on one PostgreSQL database and one Redis key prefix. Two processes cannot share
 * the embedded stores, so without the real ones this test cannot run.
 */
const skipReason = !process.env.SC_TEST_DATABASE_URL
  ? 'no PostgreSQL: a separate gateway process cannot share the embedded database'
  : !process.env.SC_TEST_REDIS_URL
    ? 'no Redis: a separate gateway process cannot share the in-process event bus'
    : undefined;

let server: TestServer;
let gateway: GatewayProcess;
let realtime: RealtimeClient | undefined;

beforeAll(async () => {
  if (skipReason) {
    console.log(`gateway restart test skipped: ${skipReason}`);
    return;
  }
  const started = await startSdkDevServer();
  server = started.server;
  gateway = new GatewayProcess(started.env, await freePort());
  await gateway.start();
});
afterAll(async () => {
  realtime?.close();
  await gateway?.kill();
  await server?.close();
});

it.skipIf(skipReason)(
  'a client of a gateway killed (SIGKILL) and restarted while messages are sent ends with exactly the messages sent, in order',
  async () => {
    const [sender, receiver] = await registerUsers(server.url, 'Sam', 'Rae');
    const group = (
      await sender.client.conversations.create({ type: 'group', title: 'Restart', memberIds: [receiver.id] })
    ).id;
    const connection = await connectRealtime(receiver, { url: `ws://127.0.0.1:${gateway.port}/v1/realtime` });
    realtime = connection.realtime;
    const { recorder } = connection;

    // 30 live; the gateway crashes; 70 sent with no gateway at all; it comes back; 50 more.
    const sent = await sendMessages(sender, group, 150, {
      onSent: async (count) => {
        if (count === 30) {
          await vi.waitFor(() => expect(recorder.in(group)).toHaveLength(30), WAIT);
          await gateway.kill();
          await vi.waitFor(() => expect(connection.realtime.state).toBe('reconnecting'), WAIT);
        }
        if (count === 100) await gateway.start();
      },
    });

    await vi.waitFor(() => expect(recorder.in(group)).toHaveLength(150), WAIT);
    await settle();
    expect(recorder.in(group).map((event) => event.seq)).toEqual(sent.map((message) => message.seq));
    expect(recorder.bodies(group)).toEqual(sent.map((message) => message.body));
    expect(recorder.readyCount).toBeGreaterThanOrEqual(2);
  },
);
