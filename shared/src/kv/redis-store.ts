import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { type KeyValueStore, type SetOptions, ttlMilliseconds } from './key-value-store';
import { MemoryStore } from './memory-store';

/** Options for {@link RedisStore}. */
export interface RedisStoreOptions {
  /** `redis://` or `rediss://`, credentials and database included. */
  url: string;
  keyPrefix: string;
  /** Per-command deadline (REDIS_COMMAND_TIMEOUT_MS); past it the fallback answers. */
  commandTimeoutMs: number;
  logger: Logger;
  metrics: Metrics;
}

/** INCR plus an expiry only when the key has none, atomically, so a counter never lives forever. */
const INCREMENT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

/**
 * How long one TCP connect may take. ioredis waits 10 s by default, which against a black-holed
 * host would also delay noticing recovery by up to 10 s.
 */
const CONNECT_TIMEOUT_MS = 2000;

type ScriptedRedis = Redis & { scIncrement(key: string, ttlMilliseconds: number): Promise<number> };

/** Exponential from 100 ms, capped at 2 s, forever; jitter keeps a restarted fleet from stampeding. */
function reconnectDelay(attempt: number): number {
  return Math.min(100 * 2 ** (attempt - 1), 2000) + Math.floor(Math.random() * 100);
}

/** A server's answer to a bad command (WRONGTYPE, syntax): a bug to surface, not an outage. */
function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

/**
 * {@link KeyValueStore} on Redis (ioredis), one client per process, resilient to Redis outages
 * (SPEC §8 "Degraded modes"): while Redis is unreachable or too slow, every operation is served
 * from an in-process {@link MemoryStore}, `degraded` is true and `redis_degraded_mode` reads 1;
 * when the client is ready again it returns to Redis on its own. Construction never throws,
 * even when Redis is down at boot. Server replies that are errors (WRONGTYPE…) still throw.
 */
export class RedisStore implements KeyValueStore {
  /** The underlying client (already prefixed), for rate-limiter-flexible and pub/sub. */
  readonly client: Redis;
  private readonly fallback = new MemoryStore();
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private isDegraded = false;
  private closing = false;
  /**
   * Resolves once the first connection attempt has settled (ready, failed, or timed out after
   * the command timeout). Operations wait for it, so boot-time requests are not mistaken for an
   * outage; so does anything else using {@link client}, such as the rate limiter.
   */
  readonly started: Promise<void>;
  private isStarting = true;
  private lastConnectionError: Error | undefined;

  constructor({ url, keyPrefix, commandTimeoutMs, logger, metrics }: RedisStoreOptions) {
    this.logger = logger.child({ component: 'redis' });
    this.metrics = metrics;
    this.client = new Redis(url, {
      keyPrefix,
      commandTimeout: commandTimeoutMs,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // A socket being closed on a hung server lingers this long before it is destroyed and the
      // reconnect can begin; ioredis's 2 s default would also hold a process open after close().
      disconnectTimeout: commandTimeoutMs,
      // Fail at once while disconnected (and be served by the fallback) rather than queue up.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: reconnectDelay,
      scripts: { scIncrement: { lua: INCREMENT_SCRIPT, numberOfKeys: 1 } },
    });
    this.client.on('ready', () => this.recover());
    this.client.on('close', () => this.degrade(this.lastConnectionError ?? new Error('connection closed')));
    this.client.on('error', (error: Error) => {
      this.lastConnectionError = error;
      // Each failed reconnect attempt lands here; the transition itself is logged once, at warn.
      this.logger.debug({ err: error }, 'Redis connection error');
    });
    this.started = this.firstConnection(commandTimeoutMs);
  }

  get degraded(): boolean {
    return this.isDegraded;
  }

  async get(key: string): Promise<string | null> {
    return this.run(
      'get',
      () => this.client.get(key),
      () => this.fallback.get(key),
    );
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    const ttl = options.ttlSeconds === undefined ? undefined : ttlMilliseconds(options.ttlSeconds);
    return this.run(
      'set',
      async () => {
        const args: (string | number)[] = ttl === undefined ? [] : ['PX', ttl];
        if (options.onlyIfAbsent) args.push('NX');
        return (await this.client.call('SET', key, value, ...args)) === 'OK';
      },
      () => this.fallback.set(key, value, options),
    );
  }

  async delete(key: string): Promise<void> {
    await this.run(
      'delete',
      async () => void (await this.client.del(key)),
      () => this.fallback.delete(key),
    );
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const ttl = ttlMilliseconds(ttlSeconds);
    return this.run(
      'increment',
      () => (this.client as ScriptedRedis).scIncrement(key, ttl),
      () => this.fallback.increment(key, ttlSeconds),
    );
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.fallback.close();
    if (this.client.status === 'ready') await this.client.quit().catch(() => {});
    this.client.disconnect();
  }

  private async run<T>(
    operation: string,
    viaRedis: () => Promise<T>,
    viaFallback: () => Promise<T>,
  ): Promise<T> {
    if (this.isStarting) await this.started;
    // Once degraded, only a fresh `ready` (see recover) sends traffic back, so a hung server
    // costs one command timeout, not one per request.
    if (this.client.status === 'ready' && !this.isDegraded) {
      try {
        return await viaRedis();
      } catch (error) {
        if (isReplyError(error)) throw error;
        this.degrade(error);
      }
    } else {
      this.degrade(new Error(`not connected (${this.client.status})`));
    }
    this.metrics.redisFallbackTotal.inc({ operation });
    return viaFallback();
  }

  private degrade(reason: unknown): void {
    if (this.isDegraded || this.closing) return;
    this.isDegraded = true;
    // A timed-out command leaves the connection looking ready; recycling it means only a fresh
    // `ready` (after the server answers the ready check again) brings the store back.
    if (this.client.status === 'ready') this.client.disconnect(true);
    this.metrics.redisDegradedMode.set(1);
    this.logger.warn({ err: reason }, 'Redis unreachable: serving key-value operations from process memory');
  }

  private recover(): void {
    this.lastConnectionError = undefined;
    if (!this.isDegraded || this.closing) return;
    this.isDegraded = false;
    // What the fallback holds was written during the outage only; dropping it keeps the next
    // outage from resurrecting stale values.
    this.fallback.clear();
    this.metrics.redisDegradedMode.set(0);
    this.logger.info('Redis reachable again: key-value operations back on Redis');
  }

  private firstConnection(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const settle = () => {
        clearTimeout(timer);
        this.client.off('ready', settle).off('close', settle);
        this.isStarting = false;
        resolve();
      };
      const timer = setTimeout(settle, timeoutMs).unref();
      this.client.once('ready', settle).once('close', settle);
    });
  }
}
