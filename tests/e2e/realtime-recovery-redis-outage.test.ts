import type { RealtimeClient } from '@secureconnect/client';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import {
  canStartRedisServer,
  startRedisServer,
  type TestRedisServer,
  testKeyPrefix,
} from '../../shared/src/testing/redis';
import type { TestServer } from '../../shared/src/testing/test-server';
import {
  connectRealtime,
  freePort,
  GatewayProcess,
  Network,
  registerUsers,
  sendMessages,
  settle,
  startSdkDevServer,
  WAIT,
} from '../support/sdk';

/** A standalone gateway shares the database only on PostgreSQL (PGlite is one process's). */
const withGatewayProcess = Boolean(process.env.SC_TEST_DATABASE_URL);

let redis: TestRedisServer;
let server: TestServer;
let gateway: GatewayProcess | undefined;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  if (!canStartRedisServer) {
    console.log('Redis outage test skipped: no redis-server binary to start a private Redis');
    return;
  }
  // A private redis-server, so this test can kill it without touching the run's shared one.
  redis = await startRedisServer();
  const started = await startSdkDevServer({
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: testKeyPrefix(),
    REDIS_COMMAND_TIMEOUT_MS: '300',
  });
  server = started.server;
  if (withGatewayProcess) {
    gateway = new GatewayProcess(started.env, await freePort());
    await gateway.start();
  } else {
    console.log(
      'Redis outage test: no PostgreSQL, so no standalone gateway; the dev server hosts the only one',
    );
  }
});
afterAll(async () => {
  for (const client of clients) client.close();
  await gateway?.kill();
  await server?.close();
  await redis?.stop();
});

it.skipIf(!canStartRedisServer)(
  'clients end with exactly the messages sent, in order, when Redis is stopped and restarted while they are sent',
  async () => {
    const [sender, steady, roaming, distant] = await registerUsers(server.url, 'Sam', 'Sid', 'Roy', 'Dee');
    const group = (
      await sender.client.conversations.create({
        type: 'group',
        title: 'Outage',
        memberIds: [steady.id, roaming.id, distant.id],
      })
    ).id;
    // One client on the dev server's own gateway, which hears the functions' publishes in-process
    // even without Redis; one on a gateway process of its own, which hears nothing while Redis is
    // down and must read the log (SPEC §8's polling path); and one that also loses its network
    // during the outage and reconnects — authenticating with Redis still down.
    const connected = await connectRealtime(steady);
    const network = new Network();
    const reconnecting = await connectRealtime(roaming, { WebSocket: network.WebSocket });
    const receivers = [connected, reconnecting];
    if (gateway)
      receivers.push(await connectRealtime(distant, { url: `ws://127.0.0.1:${gateway.port}/v1/realtime` }));
    clients.push(...receivers.map((receiver) => receiver.realtime));

    const servers = [server.url, ...(gateway ? [gateway.url] : [])];
    /** `redis_degraded_mode` of the dev server and the gateway process: the outage is real for both. */
    const degradedMode = () =>
      Promise.all(
        servers.map(async (url) => {
          const metrics = await (await fetch(`${url}/metrics`)).text();
          return Number(/^redis_degraded_mode(?:\{[^}]*\})? (\d+)$/m.exec(metrics)?.[1]);
        }),
      );

    // Redis dies after 30; the roaming client is offline from 50 to 80; Redis returns after 110.
    const sent = await sendMessages(sender, group, 150, {
      onSent: async (count) => {
        if (count === 30) {
          await redis.stop();
          await vi.waitFor(async () => expect(await degradedMode()).toEqual(servers.map(() => 1)), WAIT);
        }
        if (count === 50) {
          network.cut();
          await vi.waitFor(() => expect(reconnecting.realtime.state).toBe('reconnecting'), WAIT);
        }
        if (count === 80) network.restore();
        if (count === 110) await redis.start();
        if (count === 130)
          await vi.waitFor(async () => expect(await degradedMode()).toEqual(servers.map(() => 0)), WAIT);
      },
    });

    for (const { recorder } of receivers) {
      await vi.waitFor(() => expect(recorder.in(group)).toHaveLength(150), WAIT);
    }
    await settle();
    for (const { recorder } of receivers) {
      expect(recorder.in(group).map((event) => event.seq)).toEqual(sent.map((message) => message.seq));
      expect(recorder.bodies(group)).toEqual(sent.map((message) => message.body));
    }
    expect(reconnecting.recorder.readyCount).toBeGreaterThanOrEqual(2);
  },
);
