import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env';
import { ProblemError } from '../errors/problem';
import type { KeyValueStore } from '../kv/key-value-store';
import { MemoryStore } from '../kv/memory-store';
import { RedisStore } from '../kv/redis-store';
import { createLogger, type Logger } from '../observability/logger';
import { Metrics } from '../observability/metrics';
import { canStartRedisServer, startRedisServer, type TestRedisServer, testKeyPrefix } from '../testing/redis';
import { RateLimiter } from './rate-limiter';

const redisUrl = process.env.SC_TEST_REDIS_URL ?? '';
const keyPrefix = testKeyPrefix();
const config = loadConfig({ RATE_LIMIT_LOGIN: '3/60', RATE_LIMIT_SEND_MESSAGE: '2/60' });
const silent = createLogger({ level: 'silent', service: 'test' });

let keys = 0;
/** A key no other test has used, so every test starts with a full allowance. */
const freshKey = () => `ip:198.51.100.${++keys}:${Date.now()}`;

async function blockedCount(metrics: Metrics, limit: string): Promise<number> {
  const match = new RegExp(`^rate_limit_blocked_total\\{limit="${limit}"\\} (\\d+)$`, 'm').exec(
    await metrics.registry.metrics(),
  );
  return Number(match?.[1] ?? 0);
}

async function rejection(attempt: Promise<void>): Promise<ProblemError> {
  const error = await attempt.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProblemError);
  return error as ProblemError;
}

/** Behaviour that must hold whichever store backs the limiter. */
function describeLimits(name: string, openStore: () => KeyValueStore) {
  describe(name, () => {
    let store: KeyValueStore;
    let metrics: Metrics;
    let limiter: RateLimiter;
    beforeAll(() => {
      store = openStore();
      metrics = new Metrics();
      limiter = new RateLimiter({ config, store, logger: silent, metrics });
    });
    afterAll(async () => {
      await store.close();
    });

    it('refuses the attempt after the configured number with 429 and Retry-After', async () => {
      const key = freshKey();
      for (let i = 0; i < 3; i++) await limiter.consume('login', key);

      const refused = await rejection(limiter.consume('login', key));
      expect(refused.status).toBe(429);
      expect(refused.code).toBe('rate-limited');
      expect(refused.extra.retryAfterSeconds).toBeGreaterThan(0);
      expect(refused.extra.retryAfterSeconds).toBeLessThanOrEqual(60);
      expect(await blockedCount(metrics, 'login')).toBe(1);
    });

    it('counts each key and each limit on its own', async () => {
      const key = freshKey();
      for (let i = 0; i < 2; i++) await limiter.consume('send-message', key);
      await expect(limiter.consume('send-message', key)).rejects.toBeInstanceOf(ProblemError);
      await expect(limiter.consume('send-message', freshKey())).resolves.toBeUndefined();
      await expect(limiter.consume('login', key)).resolves.toBeUndefined();
    });

    it('starts a key afresh after reset', async () => {
      const key = freshKey();
      for (let i = 0; i < 3; i++) await limiter.consume('login', key);
      await expect(limiter.consume('login', key)).rejects.toBeInstanceOf(ProblemError);
      await limiter.reset('login', key);
      for (let i = 0; i < 3; i++) await limiter.consume('login', key);
    });
  });
}

describeLimits('RateLimiter on the embedded store', () => new MemoryStore());

describe.skipIf(!redisUrl)('RateLimiter on the test Redis', () => {
  const open = () =>
    new RedisStore({
      url: redisUrl,
      keyPrefix,
      commandTimeoutMs: 500,
      logger: silent,
      metrics: new Metrics(),
    });

  describeLimits('per limit', open);

  it('shares counts between processes through Redis', async () => {
    const [storeA, storeB] = [open(), open()];
    try {
      const a = new RateLimiter({ config, store: storeA, logger: silent, metrics: new Metrics() });
      const b = new RateLimiter({ config, store: storeB, logger: silent, metrics: new Metrics() });
      const key = freshKey();
      await a.consume('send-message', key);
      await b.consume('send-message', key);
      await expect(a.consume('send-message', key)).rejects.toBeInstanceOf(ProblemError);
    } finally {
      await Promise.all([storeA.close(), storeB.close()]);
    }
  });
});

describe.skipIf(!canStartRedisServer)('RateLimiter while Redis is down', () => {
  let server: TestRedisServer;
  let store: RedisStore;
  beforeAll(async () => {
    server = await startRedisServer();
    store = new RedisStore({
      url: server.url,
      keyPrefix,
      commandTimeoutMs: 500,
      logger: silent,
      metrics: new Metrics(),
    });
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  it('still applies every limit in process memory', async () => {
    const metrics = new Metrics();
    const limiter = new RateLimiter({ config, store, logger: silent, metrics });
    const key = freshKey();
    await limiter.consume('login', key);

    await server.stop();
    for (let i = 0; i < 3; i++) await limiter.consume('login', key);
    const refused = await rejection(limiter.consume('login', key));
    expect(refused.status).toBe(429);
    expect(refused.extra.retryAfterSeconds).toBeGreaterThan(0);
    expect(await blockedCount(metrics, 'login')).toBe(1);
    await limiter.reset('login', key);
    await expect(limiter.consume('login', key)).resolves.toBeUndefined();
  });
});

describe('RateLimiter with RATE_LIMITS=off', () => {
  let store: MemoryStore;
  afterEach(async () => {
    await store.close();
  });

  it('never refuses, and says loudly that limits are off', async () => {
    const lines: { level: string; msg: string }[] = [];
    const logger: Logger = createLogger({
      level: 'info',
      service: 'test',
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });
    store = new MemoryStore();
    const limiter = new RateLimiter({
      config: loadConfig({ RATE_LIMITS: 'off', RATE_LIMIT_LOGIN: '1/60' }),
      store,
      logger,
      metrics: new Metrics(),
    });
    const key = freshKey();
    for (let i = 0; i < 50; i++) await limiter.consume('login', key);
    await limiter.reset('login', key);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/RATE_LIMITS=off/) }),
    ]);
  });
});
