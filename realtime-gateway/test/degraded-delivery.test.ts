import { encodeEventFrame } from '@secureconnect/shared/messaging/events';
import { conversationChannel } from '@secureconnect/shared/realtime/event-bus';
import { registerAccount, type TestAccount } from '@secureconnect/shared/testing/accounts';
import { metricValue } from '@secureconnect/shared/testing/observability';
import {
  canStartRedisServer,
  startRedisServer,
  type TestRedisServer,
  testKeyPrefix,
} from '@secureconnect/shared/testing/redis';
import type { TestServer } from '@secureconnect/shared/testing/test-server';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createConversation, settle, startRealtimeTestServer, TestClient } from './support';

/** SPEC §8: polling adds at most 5 s; the default interval is 2 s. */
const POLL_MS = 2000;
/** Generous bounds on waits for what normally takes a poll interval or a reconnect. */
const BY_POLLING = { timeout: 15_000, interval: 50 };

let redis: TestRedisServer;
let server: TestServer;

beforeAll(async () => {
  if (!canStartRedisServer) return;
  redis = await startRedisServer();
  server = await startRealtimeTestServer({
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: testKeyPrefix(),
    REDIS_COMMAND_TIMEOUT_MS: '300',
    REALTIME_DEGRADED_POLL_MS: String(POLL_MS),
  });
});
afterAll(async () => {
  await server?.close();
  await redis?.stop();
});

it.skipIf(!canStartRedisServer)(
  'delivers durable events by polling the log while Redis is down — exactly once, in order — then by push again',
  async () => {
    const platform = server.server.platform;
    const [ann, bob] = (await Promise.all([registerAccount(server), registerAccount(server)])) as [
      TestAccount,
      TestAccount,
    ];
    const conversationId = await createConversation(platform, [ann.id, bob.id]);
    const client = await TestClient.ready(server, bob);
    const [store, bus] = await Promise.all([platform.messageStore(), platform.eventBus()]);
    const seqs = () => client.ofType('event').map((frame) => frame.seq as number);
    const polls = () => metricValue(platform.metrics.realtimeDegradedPollsTotal);

    /** What messages-send does: append to the log, then publish the encoded event. */
    const send = async (body: string, { publish }: { publish: boolean }) => {
      const { event } = await store.appendMessage({
        conversationId,
        senderId: ann.id,
        clientMessageId: body,
        body,
        replyToId: null,
        attachmentFileIds: [],
        pollId: null,
      });
      if (publish) await bus.publish(conversationChannel(conversationId), encodeEventFrame(event));
    };

    for (const body of ['one', 'two', 'three']) await send(body, { publish: true });
    await vi.waitFor(() => expect(seqs()).toEqual([1, 2, 3]));
    expect(await polls()).toBe(0);

    await redis.stop();
    await vi.waitFor(() => expect(bus.degraded).toBe(true), BY_POLLING);
    // Appended by a publisher elsewhere whose publish went nowhere: only the log has them.
    for (const body of ['four', 'five', 'six', 'seven', 'eight']) await send(body, { publish: false });
    await vi.waitFor(() => expect(seqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]), BY_POLLING);
    expect(await polls()).toBeGreaterThan(0);
    expect(await metricValue(platform.metrics.realtimeEventsFromLogTotal, { cause: 'poll' })).toBe(5);
    const metrics = await platform.metrics.registry.metrics();
    expect(metrics).toMatch(/^redis_degraded_mode\{[^}]*\} 1$/m);

    await redis.start();
    await vi.waitFor(() => expect(bus.degraded).toBe(false), BY_POLLING);
    // Published the moment Redis is back: pushed, and never delivered twice by the catch-up poll.
    for (const body of ['nine', 'ten']) await send(body, { publish: true });
    await vi.waitFor(() => expect(seqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), BY_POLLING);

    // Push again: polling has stopped, and a published event arrives without it.
    await new Promise((resolve) => setTimeout(resolve, 2 * POLL_MS + 500));
    const pollsAfterRecovery = await polls();
    await send('eleven', { publish: true });
    await vi.waitFor(() => expect(seqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    await new Promise((resolve) => setTimeout(resolve, POLL_MS + 500));
    expect(await polls()).toBe(pollsAfterRecovery);
    await settle();
    expect(seqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    client.close();
  },
  60_000,
);
