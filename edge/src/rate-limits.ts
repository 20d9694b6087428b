import { tooManyRequests } from '@secureconnect/shared/errors/problem';
import { Ratelimit } from '@upstash/ratelimit';
import { Redis } from '@upstash/redis/cloudflare';
import { logLine } from './log';
import type { EdgeSettings } from './settings';

export type EdgeLimitKind = 'ip' | 'user';

/** How often, at most, an isolate logs that Upstash failed: an outage is one line a minute, not one per request. */
const FAILURE_LOG_INTERVAL_MS = 60_000;

/**
 * The edge's own limits, per client IP and per user, counted in Upstash Redis over its REST
 * protocol so every isolate and location shares one count (fixed windows, as the functions'
 * limits are). They shed floods before they reach a function; the functions keep their own
 * per-operation limits behind them. When Upstash is slow or down a request passes unchecked:
 * failing closed would turn a cache outage into a full API outage.
 */
export class EdgeRateLimits {
  readonly #limiters: ReadonlyMap<EdgeLimitKind, Ratelimit>;
  #lastFailureLog = 0;

  constructor(limiters: ReadonlyMap<EdgeLimitKind, Ratelimit>) {
    this.#limiters = limiters;
  }

  /** The limits configured by `settings`; none without Upstash (logged once, at start-up). */
  static fromSettings(settings: EdgeSettings): EdgeRateLimits {
    const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = settings;
    if (!url || !token) {
      logLine('warn', 'UPSTASH_REDIS_REST_URL is not set: the edge applies no rate limits of its own');
      return new EdgeRateLimits(new Map());
    }
    // No retries: a retry would outlast the timeout below, after which the request passed anyway.
    const redis = new Redis({ url, token, retry: { retries: 0 }, enableTelemetry: false });
    const limiter = (
      kind: EdgeLimitKind,
      { points, durationSeconds }: { points: number; durationSeconds: number },
    ) =>
      new Ratelimit({
        redis,
        limiter: Ratelimit.fixedWindow(points, `${durationSeconds} s`),
        prefix: `sc:edge:${kind}`,
        timeout: settings.EDGE_RATE_LIMIT_TIMEOUT_MS,
        // Identifiers already over their limit are refused from isolate memory until the window ends.
        ephemeralCache: new Map(),
        analytics: false,
      });
    return new EdgeRateLimits(
      new Map([
        ['ip', limiter('ip', settings.EDGE_RATE_LIMIT_IP)],
        ['user', limiter('user', settings.EDGE_RATE_LIMIT_USER)],
      ]),
    );
  }

  /**
   * Counts one request for `identifier`.
   *
   * @throws ProblemError 429 (`rate-limited`, with Retry-After) once the window's points are spent.
   */
  async consume(kind: EdgeLimitKind, identifier: string): Promise<void> {
    const limiter = this.#limiters.get(kind);
    if (!limiter) return;
    let result: Awaited<ReturnType<Ratelimit['limit']>>;
    try {
      result = await limiter.limit(identifier);
    } catch (error) {
      this.#logFailure(error);
      return;
    }
    if (result.reason === 'timeout') this.#logFailure(new Error('Upstash did not answer in time'));
    if (result.success) return;
    throw tooManyRequests(
      'Too many requests; retry later.',
      Math.max(1, Math.ceil((result.reset - Date.now()) / 1000)),
    );
  }

  #logFailure(error: unknown): void {
    const now = Date.now();
    if (now - this.#lastFailureLog < FAILURE_LOG_INTERVAL_MS) return;
    this.#lastFailureLog = now;
    logLine('warn', 'edge rate limits unavailable; requests pass unchecked', {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
