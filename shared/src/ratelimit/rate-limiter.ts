import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config/env';
import { tooManyRequests } from '../errors/problem';
import type { KeyValueStore } from '../kv/key-value-store';
import { RedisStore } from '../kv/redis-store';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';

/** The named limits of SPEC §8, each configured by its RATE_LIMIT_* variable. */
export type RateLimitName =
  | 'login'
  | 'register'
  | 'resend-verification'
  | 'password-reset'
  | 'send-message'
  | 'presign'
  | 'key-bundle'
  | 'ai';

const SETTINGS = {
  login: 'RATE_LIMIT_LOGIN',
  register: 'RATE_LIMIT_REGISTER',
  'resend-verification': 'RATE_LIMIT_RESEND_VERIFICATION',
  'password-reset': 'RATE_LIMIT_PASSWORD_RESET',
  'send-message': 'RATE_LIMIT_SEND_MESSAGE',
  presign: 'RATE_LIMIT_PRESIGN',
  'key-bundle': 'RATE_LIMIT_KEY_BUNDLE',
  ai: 'RATE_LIMIT_AI',
} as const satisfies Record<RateLimitName, keyof Config>;

/** The configuration a {@link RateLimiter} reads. */
export type RateLimitConfig = Pick<Config, 'RATE_LIMITS' | (typeof SETTINGS)[RateLimitName]>;

/** What {@link RateLimiter} is built from, once per process. */
export interface RateLimiterOptions {
  config: RateLimitConfig;
  store: KeyValueStore;
  logger: Logger;
  metrics: Metrics;
}

type Limiter = RateLimiterRedis | RateLimiterMemory;

/**
 * Fixed-window rate limits over rate-limiter-flexible. On a {@link RedisStore} the counts are
 * shared by every process through Redis, with an in-process insurance limiter that takes over
 * while Redis is unreachable (SPEC §8 "Degraded modes"); on the embedded store they live in
 * process memory. With RATE_LIMITS=off every attempt passes.
 *
 * Keys are chosen by the caller, e.g. `ip:203.0.113.7` or `user:<id>`; each limit has its own
 * key space.
 */
export class RateLimiter {
  private readonly limiters: ReadonlyMap<RateLimitName, Limiter>;
  private readonly metrics: Metrics;
  /** Until Redis has had its chance to connect, limits would silently fall to the insurance. */
  private readonly started: Promise<void>;

  constructor({ config, store, logger, metrics }: RateLimiterOptions) {
    this.metrics = metrics;
    this.started = store instanceof RedisStore ? store.started : Promise.resolve();
    if (!config.RATE_LIMITS) {
      logger.warn('RATE_LIMITS=off: every rate limit is DISABLED; never run production like this');
      this.limiters = new Map();
      return;
    }
    const entries = (Object.keys(SETTINGS) as RateLimitName[]).map((name): [RateLimitName, Limiter] => {
      const { points, durationSeconds } = config[SETTINGS[name]];
      const options = { keyPrefix: `rl:${name}`, points, duration: durationSeconds };
      if (!(store instanceof RedisStore)) return [name, new RateLimiterMemory(options)];
      return [
        name,
        new RateLimiterRedis({
          ...options,
          storeClient: store.client,
          // Skip the round trip while disconnected: the insurance limiter answers at once.
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory(options),
        }),
      ];
    });
    this.limiters = new Map(entries);
  }

  /**
   * Counts one attempt against `limit` for `key`.
   *
   * @throws ProblemError 429 (`rate-limited`, with Retry-After) when the limit is exhausted.
   */
  async consume(limit: RateLimitName, key: string): Promise<void> {
    const limiter = this.limiters.get(limit);
    if (!limiter) return;
    await this.started;
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      this.metrics.rateLimitBlockedTotal.inc({ limit });
      throw tooManyRequests(
        'Too many attempts; retry later.',
        Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
      );
    }
  }

  /** Forgets the attempts counted for `key` (e.g. after a successful login). */
  async reset(limit: RateLimitName, key: string): Promise<void> {
    await this.started;
    await this.limiters.get(limit)?.delete(key);
  }
}
