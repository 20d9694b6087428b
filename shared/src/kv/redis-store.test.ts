import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../observability/logger';
import { Metrics } from '../observability/metrics';
import { canStartRedisServer, startRedisServer, type TestRedisServer, testKeyPrefix } from '../testing/redis';
import { describeKeyValueStoreContract } from './key-value-store.contract';
import { RedisStore } from './redis-store';

const redisUrl = process.env.SC_TEST_REDIS_URL ?? '';
const keyPrefix = testKeyPrefix();
/** Generous: reconnect backoff is capped at ~2 s, so recovery normally takes well under that. */
const RECOVERY_WAIT = { timeout: 15_000, interval: 100 };

interface LogLine {
  level: string;
  msg: string;
}

function openStore(url: string) {
  const lines: LogLine[] = [];
  const logger = createLogger({
    level: 'info',
    service: 'test',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  });
  const metrics = new Metrics();
  const store = new RedisStore({ url, keyPrefix, commandTimeoutMs: 500, logger, metrics });
  return { store, metrics, lines };
}

async function degradedGauge(metrics: Metrics): Promise<string | undefined> {
  return /^redis_degraded_mode (\d+)$/m.exec(await metrics.registry.metrics())?.[1];
}

describe.skipIf(!redisUrl)('RedisStore on the test Redis', () => {
  describeKeyValueStoreContract('RedisStore', async () => openStore(redisUrl).store);

  let raw: Redis;
  let opened: ReturnType<typeof openStore>;
  beforeAll(() => {
    raw = new Redis(redisUrl);
    opened = openStore(redisUrl);
  });
  afterAll(async () => {
    await opened.store.close();
    await raw.quit();
  });

  it('stores keys under the configured prefix', async () => {
    await opened.store.set('prefixed', 'v');
    expect(await raw.get(`${keyPrefix}prefixed`)).toBe('v');
  });

  it('throws server errors instead of falling back', async () => {
    await raw.lpush(`${keyPrefix}a-list`, 'item');
    await expect(opened.store.get('a-list')).rejects.toThrow(/WRONGTYPE/);
    expect(opened.store.degraded).toBe(false);
    expect(await degradedGauge(opened.metrics)).toBe('0');
  });
});

describe.skipIf(!canStartRedisServer)('RedisStore when Redis goes away', () => {
  let server: TestRedisServer;
  let opened: ReturnType<typeof openStore> | undefined;

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    await opened?.store.close();
    opened = undefined;
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps serving from memory while Redis is down and returns to Redis when it is back', async () => {
    opened = openStore(server.url);
    const { store, metrics, lines } = opened;
    await store.set('before', 'redis');
    expect(await store.get('before')).toBe('redis');
    expect(store.degraded).toBe(false);

    await server.stop();
    expect(await store.set('during', 'memory')).toBe(true);
    expect(await store.get('during')).toBe('memory');
    expect(await store.increment('counter', 60)).toBe(1);
    expect(await store.increment('counter', 60)).toBe(2);
    expect(store.degraded).toBe(true);
    expect(await degradedGauge(metrics)).toBe('1');
    expect(await metrics.registry.metrics()).toMatch(/^redis_fallback_total\{operation="increment"\} 2$/m);
    await expect(store.ping()).rejects.toThrow();
    expect(lines.filter((line) => line.level === 'warn')).toHaveLength(1);

    await server.start();
    await vi.waitFor(() => expect(store.degraded).toBe(false), RECOVERY_WAIT);
    expect(await degradedGauge(metrics)).toBe('0');
    expect(lines.filter((line) => line.level === 'info')).toHaveLength(1);

    await store.set('after', 'redis-again');
    const raw = new Redis(server.url);
    try {
      expect(await raw.get(`${keyPrefix}after`)).toBe('redis-again');
    } finally {
      await raw.quit();
    }
    // The restarted Redis is empty and the outage's writes were dropped with the fallback.
    expect(await store.get('during')).toBeNull();
  });

  it('starts while Redis is down without throwing, and recovers when it comes up', async () => {
    await server.stop();
    opened = openStore(server.url);
    const { store, metrics } = opened;
    expect(await store.set('boot', 'memory')).toBe(true);
    expect(await store.get('boot')).toBe('memory');
    expect(store.degraded).toBe(true);
    expect(await degradedGauge(metrics)).toBe('1');

    await server.start();
    await vi.waitFor(() => expect(store.degraded).toBe(false), RECOVERY_WAIT);
    await store.ping();
    await store.set('boot', 'redis');
    expect(await store.get('boot')).toBe('redis');
    expect(await degradedGauge(metrics)).toBe('0');
  });

  it('falls back when Redis hangs, and returns once it answers again', async () => {
    opened = openStore(server.url);
    const { store } = opened;
    await store.set('hang', 'redis');

    server.pause();
    try {
      expect(await store.set('hang', 'memory')).toBe(true);
      expect(store.degraded).toBe(true);
      expect(await store.get('hang')).toBe('memory');
    } finally {
      server.resume();
    }
    await vi.waitFor(() => expect(store.degraded).toBe(false), RECOVERY_WAIT);
    // The timed-out SET may still land once Redis thaws (it was already on the wire), so only a
    // write made after recovery has a known outcome.
    await store.set('thawed', 'redis');
    const raw = new Redis(server.url);
    try {
      expect(await raw.get(`${keyPrefix}thawed`)).toBe('redis');
    } finally {
      await raw.quit();
    }
  });

  it('does not count a healthy start-up as an outage', async () => {
    opened = openStore(server.url);
    expect(await opened.store.get('first-command')).toBeNull();
    expect(opened.store.degraded).toBe(false);
    expect(opened.lines.filter((line) => line.level === 'warn')).toHaveLength(0);
  });
});
