import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import { ProblemError } from '../errors/problem';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { BlobHead, BlobStore, SignedRequest } from './blob-store';

/**
 * The policy around every call to the store (decisions: "Drive: blob store"). One retry after a
 * short jittered backoff: two attempts of S3_REQUEST_TIMEOUT_MS (3 s) still end before the 10 s
 * request timeout, so a client gets a 503 it can act on rather than a 504.
 */
export const BLOB_POLICY = {
  retries: 1,
  backoff: { initialDelayMs: 100, maxDelayMs: 1000 },
  /** Consecutive failed calls (each already retried) that open the circuit. */
  breakerThreshold: 5,
  /** How long the circuit stays open before one probe may go through. */
  halfOpenAfterMs: 5000,
  /** Signing pings the store first unless a call succeeded this recently. */
  reachabilityWindowMs: 5000,
  /** How many objects deletePrefix removes per call through the policy (one S3 batch). */
  deleteBatch: 1000,
} as const;

/** Options for {@link ResilientBlobStore}. */
export interface ResilientBlobStoreOptions {
  /** S3_REQUEST_TIMEOUT_MS: the deadline of each attempt. */
  timeoutMs: number;
  logger: Logger;
  metrics: Metrics;
  /** Tests shorten the open spell; {@link BLOB_POLICY} otherwise. */
  halfOpenAfterMs?: number;
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
]);

const THROTTLING_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/**
 * Worth another attempt, and evidence the store is unreachable: a network failure, our own
 * timeout, a 5xx, or throttling. A 4xx (AccessDenied, NoSuchBucket…) is an answer: retrying
 * cannot change it, and it says nothing about reachability.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof TaskCancelledError) return true;
  const { name, code, $metadata } = error as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  if (name === 'AbortError' || name === 'TimeoutError') return true;
  if (code !== undefined && NETWORK_ERROR_CODES.has(code)) return true;
  if (name !== undefined && THROTTLING_NAMES.has(name)) return true;
  const status = $metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
}

/** An error reply of the store's own (it carries an HTTP status), as opposed to a fault of ours. */
const answeredByStore = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== undefined;

function outcomeOf(error: unknown): string {
  if (error instanceof TaskCancelledError || (error as Error).name === 'AbortError') return 'timeout';
  return isTransient(error) ? 'unavailable' : 'error';
}

/** The policy's parts: the breaker and the retry are kept for their state and events. */
function buildPolicy(timeoutMs: number, halfOpenAfterMs: number) {
  const transient = handleWhen(isTransient);
  const breaker = circuitBreaker(transient, {
    halfOpenAfter: halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(BLOB_POLICY.breakerThreshold),
  });
  const retries = retry(transient, {
    maxAttempts: BLOB_POLICY.retries,
    backoff: new ExponentialBackoff({
      initialDelay: BLOB_POLICY.backoff.initialDelayMs,
      maxDelay: BLOB_POLICY.backoff.maxDelayMs,
    }),
  });
  // Outermost first: the breaker sees a call once, after its retries; each attempt has a deadline.
  const policy = wrap(breaker, retries, timeout(timeoutMs, TimeoutStrategy.Aggressive));
  return { breaker, retries, policy };
}

/**
 * Any {@link BlobStore} behind a timeout per attempt, a retry of transient failures with
 * exponential backoff, and a circuit breaker outside the retry (cockatiel; SPEC §7, §8). Every
 * operation we call is idempotent (HEAD, DELETE, List + DeleteObjects, HeadBucket), so retrying
 * one is safe. While the circuit is open every call — signing included — answers at once with
 * 503 `storage-unavailable` and a Retry-After of the time left before the next probe, and
 * `s3_circuit_breaker_open` reads 1. When that time is up the store probes itself (one ping), so
 * it recovers with no traffic and /readyz stops saying "degraded" on its own.
 *
 * `s3_request_duration_seconds{operation,outcome}` observes each attempt.
 */
export class ResilientBlobStore implements BlobStore {
  readonly kind: BlobStore['kind'];
  private readonly policy: ReturnType<typeof buildPolicy>['policy'];
  private readonly breaker: ReturnType<typeof buildPolicy>['breaker'];
  private readonly halfOpenAfterMs: number;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private openedAt = 0;
  private lastSuccessAt = 0;
  private reachability: Promise<void> | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly inner: BlobStore,
    { timeoutMs, logger, metrics, halfOpenAfterMs = BLOB_POLICY.halfOpenAfterMs }: ResilientBlobStoreOptions,
  ) {
    this.kind = inner.kind;
    this.halfOpenAfterMs = halfOpenAfterMs;
    this.logger = logger.child({ component: 'blob-store' });
    this.metrics = metrics;
    const { breaker, retries, policy } = buildPolicy(timeoutMs, halfOpenAfterMs);
    this.breaker = breaker;
    this.policy = policy;

    metrics.s3CircuitBreakerOpen.set(0);
    breaker.onBreak((reason) => {
      this.openedAt = Date.now();
      this.metrics.s3CircuitBreakerOpen.set(1);
      this.logger.warn(
        { err: 'error' in reason ? reason.error : undefined },
        `${this.kind} store unreachable: circuit open, drive calls answer 503 for ${this.halfOpenAfterMs} ms`,
      );
      this.scheduleProbe();
    });
    breaker.onReset(() => {
      this.metrics.s3CircuitBreakerOpen.set(0);
      this.logger.info(`${this.kind} store reachable again: circuit closed`);
    });
    retries.onRetry(({ delay, attempt }) =>
      this.logger.debug({ attempt, delayMs: Math.round(delay) }, 'retrying a blob-store call'),
    );
  }

  /** True while the circuit is not closed: open, or probing after an open spell. */
  get degraded(): boolean {
    return this.breaker.state !== CircuitState.Closed;
  }

  async signUpload(
    key: string,
    object: { size: number; contentType: string },
    expiresInSeconds: number,
  ): Promise<SignedRequest> {
    await this.assertReachable();
    return this.inner.signUpload(key, object, expiresInSeconds);
  }

  async signDownload(
    key: string,
    object: { fileName: string; contentType: string },
    expiresInSeconds: number,
  ): Promise<SignedRequest> {
    await this.assertReachable();
    return this.inner.signDownload(key, object, expiresInSeconds);
  }

  head(key: string): Promise<BlobHead | null> {
    return this.run('head', (signal) => this.inner.head(key, { signal }));
  }

  delete(key: string): Promise<void> {
    return this.run('delete', (signal) => this.inner.delete(key, { signal }));
  }

  /**
   * One batch per call through the policy, so a large prefix is not held to one attempt's
   * deadline; a batch that fails and is retried resumes where the last one stopped.
   */
  async deletePrefix(
    prefix: string,
    { maxKeys = Number.POSITIVE_INFINITY }: { maxKeys?: number } = {},
  ): Promise<number> {
    let deleted = 0;
    while (deleted < maxKeys) {
      const batch = Math.min(BLOB_POLICY.deleteBatch, maxKeys - deleted);
      const count = await this.run('deletePrefix', (signal) =>
        this.inner.deletePrefix(prefix, { signal, maxKeys: batch }),
      );
      deleted += count;
      if (count < batch) break;
    }
    return deleted;
  }

  ping(): Promise<void> {
    return this.run('ping', (signal) => this.inner.ping({ signal }));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.probeTimer);
    await this.inner.close();
  }

  /**
   * Signing is local, but a URL to a store that is down only fails later, in the client: answer
   * 503 now if the circuit is open, and ping first unless a call succeeded moments ago. Signers
   * arriving together share one ping.
   */
  private async assertReachable(): Promise<void> {
    if (Date.now() - this.lastSuccessAt < BLOB_POLICY.reachabilityWindowMs && !this.degraded) return;
    this.reachability ??= this.ping().finally(() => {
      this.reachability = undefined;
    });
    await this.reachability;
  }

  private async run<T>(operation: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      const result = await this.policy.execute(async ({ signal }) => {
        const started = performance.now();
        try {
          const value = await call(signal);
          this.observe(operation, 'ok', started);
          return value;
        } catch (error) {
          this.observe(operation, outcomeOf(error), started);
          throw error;
        }
      });
      this.lastSuccessAt = Date.now();
      return result;
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw this.unavailable(this.secondsUntilProbe());
      if (isTransient(error)) {
        this.logger.warn({ err: error, operation }, `${this.kind} store call failed`);
        throw this.unavailable(1);
      }
      // The store answered, and refused (AccessDenied, NoSuchBucket…): a deployment fault for the
      // operator, not the client's; it does not open the circuit, and the client still gets a 503.
      if (!answeredByStore(error)) throw error;
      this.logger.error(
        { err: error, operation },
        `${this.kind} store refused a call: check its configuration`,
      );
      throw this.unavailable(30);
    }
  }

  private observe(operation: string, outcome: string, started: number): void {
    this.metrics.s3RequestDuration.observe({ operation, outcome }, (performance.now() - started) / 1000);
  }

  private secondsUntilProbe(): number {
    return Math.max(1, Math.ceil((this.openedAt + this.halfOpenAfterMs - Date.now()) / 1000));
  }

  private unavailable(retryAfterSeconds: number): ProblemError {
    return new ProblemError(
      503,
      'storage-unavailable',
      'File storage is unreachable right now; retry shortly.',
      { retryAfterSeconds },
    );
  }

  /**
   * The half-open probe, when the open spell ends: cockatiel moves to half-open only when a call
   * arrives, and without traffic the gauge and /readyz would say "open" forever.
   */
  private scheduleProbe(): void {
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => {
      if (this.closed || this.breaker.state !== CircuitState.Open) return;
      this.ping().catch(() => {
        // Still down: the breaker reopened and scheduled the next probe.
      });
    }, this.halfOpenAfterMs);
    this.probeTimer.unref();
  }
}
