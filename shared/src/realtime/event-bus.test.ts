import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../observability/logger';
import { Metrics } from '../observability/metrics';
import { metricValue, testObservability } from '../testing/observability';
import { canStartRedisServer, startRedisServer, type TestRedisServer, testKeyPrefix } from '../testing/redis';
import type { EventBus } from './event-bus';
import { MemoryEventBus } from './memory-event-bus';
import { openEventBus } from './open-event-bus';
import { RedisEventBus } from './redis-event-bus';

const redisUrl = process.env.SC_TEST_REDIS_URL ?? '';
/** Reconnect backoff is capped at ~2 s; generous so a loaded machine does not fail the test. */
const RECOVERY_WAIT = { timeout: 15_000, interval: 50 };

/** Collects what a subscription receives. */
async function listen(bus: EventBus, channel: string): Promise<{ got: string[]; stop: () => Promise<void> }> {
  const got: string[] = [];
  const stop = await bus.subscribe(channel, (payload) => got.push(payload));
  return { got, stop };
}

function openRedisBus(url: string, keyPrefix: string) {
  const lines: { level: string; msg: string }[] = [];
  const logger = createLogger({
    level: 'info',
    service: 'test',
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  const metrics = new Metrics();
  const bus = new RedisEventBus({ url, keyPrefix, logger, metrics, commandTimeoutMs: 300 });
  return { bus, metrics, lines };
}

describe('MemoryEventBus', () => {
  it('delivers to the subscribers of a channel only, in publish order, until they unsubscribe', async () => {
    const bus = new MemoryEventBus(testObservability().logger);
    const a = await listen(bus, 'conv:a');
    const alsoA = await listen(bus, 'conv:a');
    const b = await listen(bus, 'conv:b');
    for (const payload of ['1', '2', '3']) await bus.publish('conv:a', payload);
    expect(a.got).toEqual(['1', '2', '3']);
    expect(alsoA.got).toEqual(['1', '2', '3']);
    expect(b.got).toEqual([]);

    await a.stop();
    await bus.publish('conv:a', '4');
    expect(a.got).toEqual(['1', '2', '3']);
    expect(alsoA.got).toEqual(['1', '2', '3', '4']);
    expect(bus.degraded).toBe(false);
  });

  it('keeps delivering to the other subscribers when one handler throws', async () => {
    const bus = new MemoryEventBus(testObservability().logger);
    await bus.subscribe('conv:a', () => {
      throw new Error('boom');
    });
    const other = await listen(bus, 'conv:a');
    await expect(bus.publish('conv:a', 'x')).resolves.toBeUndefined();
    expect(other.got).toEqual(['x']);
  });

  it('is what openEventBus returns without a Redis URL', async () => {
    const bus = await openEventBus({ keyPrefix: 'sc:', ...testObservability() });
    expect(bus).toBeInstanceOf(MemoryEventBus);
  });
});

describe.skipIf(!redisUrl)('RedisEventBus on the test Redis', () => {
  const keyPrefix = testKeyPrefix();
  let first: ReturnType<typeof openRedisBus>;
  let second: ReturnType<typeof openRedisBus>;
  beforeAll(async () => {
    first = openRedisBus(redisUrl, keyPrefix);
    second = openRedisBus(redisUrl, keyPrefix);
    await Promise.all([first.bus.started, second.bus.started]);
  });
  afterAll(async () => {
    await first.bus.close();
    await second.bus.close();
  });

  it('carries a publish to every process subscribed to the channel, exactly once, in order', async () => {
    const here = await listen(first.bus, 'conv:x');
    const there = await listen(second.bus, 'conv:x');
    const elsewhere = await listen(second.bus, 'conv:y');
    for (const payload of ['1', '2', '3']) await first.bus.publish('conv:x', payload);
    await vi.waitFor(() => expect(there.got).toHaveLength(3));
    await vi.waitFor(() => expect(here.got).toHaveLength(3));
    expect(there.got).toEqual(['1', '2', '3']);
    expect(here.got).toEqual(['1', '2', '3']);
    expect(elsewhere.got).toEqual([]);
    expect(first.bus.degraded).toBe(false);
    expect(await metricValue(first.metrics.redisDegradedMode)).toBe(0);
    for (const listener of [here, there, elsewhere]) await listener.stop();
  });

  it('publishes under the key prefix and unsubscribes from Redis when the last handler leaves', async () => {
    const raw = new Redis(redisUrl);
    const admin = new Redis(redisUrl);
    try {
      const seen: string[] = [];
      raw.on('message', (channel: string) => seen.push(channel));
      await raw.subscribe(`${keyPrefix}conv:prefixed`);
      await first.bus.publish('conv:prefixed', 'p');
      await vi.waitFor(() => expect(seen).toEqual([`${keyPrefix}conv:prefixed`]));

      const listener = await listen(second.bus, 'conv:leaving');
      const count = async () => {
        const [, subscribers] = (await admin.call('PUBSUB', 'NUMSUB', `${keyPrefix}conv:leaving`)) as [
          string,
          number,
        ];
        return subscribers;
      };
      expect(await count()).toBe(1);
      await listener.stop();
      expect(await count()).toBe(0);
    } finally {
      raw.disconnect();
      admin.disconnect();
    }
  });
});

describe.skipIf(!canStartRedisServer)('RedisEventBus when Redis goes away', () => {
  let server: TestRedisServer;
  const opened: ReturnType<typeof openRedisBus>[] = [];
  const open = async () => {
    const bus = openRedisBus(server.url, 'sc:outage:');
    opened.push(bus);
    await bus.bus.started;
    return bus;
  };

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    for (const { bus } of opened.splice(0)) await bus.close();
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('never throws, delivers locally while Redis is down, and resubscribes every channel when it returns', async () => {
    const publisher = await open();
    const gateway = await open();
    const before = await listen(gateway.bus, 'conv:before');
    const local = await listen(publisher.bus, 'conv:before');

    await server.stop();
    await vi.waitFor(() => expect(publisher.bus.degraded && gateway.bus.degraded).toBe(true), RECOVERY_WAIT);
    expect(await metricValue(publisher.metrics.redisDegradedMode)).toBe(1);

    await expect(publisher.bus.publish('conv:before', 'during')).resolves.toBeUndefined();
    expect(local.got).toEqual(['during']);
    expect(before.got).toEqual([]);
    expect(await metricValue(publisher.metrics.redisFallbackTotal, { operation: 'publish' })).toBe(1);
    // Subscribed during the outage: must be subscribed on Redis once it is back.
    const during = await listen(gateway.bus, 'conv:during');

    await server.start();
    await vi.waitFor(() => expect(publisher.bus.degraded || gateway.bus.degraded).toBe(false), RECOVERY_WAIT);
    expect(await metricValue(gateway.metrics.redisDegradedMode)).toBe(0);
    await publisher.bus.publish('conv:before', 'after');
    await publisher.bus.publish('conv:during', 'after');
    // 'during' is replayed once the publisher reconnects; the gateway hears it only if it had
    // resubscribed by then (otherwise it reads the log, as after any outage).
    await vi.waitFor(() => expect(before.got.at(-1)).toBe('after'));
    expect(['after', 'during,after']).toContain(before.got.join());
    await vi.waitFor(() => expect(during.got).toEqual(['after']));
    // Heard locally during the outage, and once more if its own resubscription beat the replay.
    await vi.waitFor(() => expect(local.got.at(-1)).toBe('after'));
    expect([...new Set(local.got)]).toEqual(['during', 'after']);

    const transitions = gateway.lines.filter((line) => ['warn', 'info'].includes(line.level));
    expect(transitions.map((line) => line.level)).toEqual(['warn', 'info']);
  });

  it('replays, in order, what one process failed to publish while the others stayed connected', async () => {
    const publisher = await open();
    const gateway = await open();
    const quiet = await listen(gateway.bus, 'conv:quiet');
    const admin = new Redis(server.url);
    try {
      // PUBLISH hangs for everyone, past the publisher's 300 ms command timeout; SUBSCRIBE and PING do not.
      await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
      await publisher.bus.publish('conv:quiet', 'q1');
      await publisher.bus.publish('conv:quiet', 'q2');
      expect(publisher.bus.degraded).toBe(true);
      // At least once: a PUBLISH that timed out still runs when the server wakes, and so may a
      // replay that timed out; consumers drop repeats (seqs), and q2 waits until q1 went through.
      await vi.waitFor(() => expect(quiet.got.at(-1)).toBe('q2'), RECOVERY_WAIT);
      expect([...new Set(quiet.got)]).toEqual(['q1', 'q2']);
    } finally {
      admin.disconnect();
    }
    expect(gateway.bus.degraded).toBe(false);
    expect(gateway.lines.filter((line) => line.level === 'warn')).toEqual([]);
    // Counted when Redis answers the replay, which may come after the gateway heard it.
    await vi.waitFor(async () =>
      expect(await metricValue(publisher.metrics.redisFallbackTotal, { operation: 'publish-replayed' })).toBe(
        2,
      ),
    );
    await publisher.bus.publish('conv:quiet', 'q3');
    await vi.waitFor(() => expect(quiet.got.at(-1)).toBe('q3'));
    expect(quiet.got.filter((payload) => payload === 'q3')).toEqual(['q3']);
  });

  it('starts while Redis is down without throwing, and connects once it is up', async () => {
    await server.stop();
    const { bus, metrics } = await open();
    expect(bus.degraded).toBe(true);
    expect(await metricValue(metrics.redisDegradedMode)).toBe(1);
    const listener = await listen(bus, 'conv:boot');
    await server.start();
    await vi.waitFor(() => expect(bus.degraded).toBe(false), RECOVERY_WAIT);
    await bus.publish('conv:boot', 'pushed');
    await vi.waitFor(() => expect(listener.got).toEqual(['pushed']));
  });
});

describe('redis_degraded_mode with two Redis clients in one process', () => {
  it('reads 1 while either the key-value store or the event bus is degraded', async () => {
    const { redisDegradedMode: gauge } = new Metrics();
    gauge.report('event-bus', true);
    gauge.set(1); // the key-value store's own report
    gauge.set(0); // the key-value store recovers first…
    expect(await metricValue(gauge)).toBe(1); // …the event bus is still cut off
    gauge.report('event-bus', false);
    expect(await metricValue(gauge)).toBe(0);
  });
});
