import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every metric the platform exposes, with the stable names of SPEC §8. One instance per process;
 * a metric that a process never touches still appears (at zero), so dashboards and alerts can
 * rely on it existing.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequestsTotal = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests handled, by function, method, route and status.',
    labelNames: ['function', 'method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds.',
    labelNames: ['function', 'method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly requestTimeoutTotal = new Counter({
    name: 'request_timeout_total',
    help: 'Requests answered 504 because they exceeded the global request timeout.',
    labelNames: ['function'] as const,
    registers: [this.registry],
  });

  readonly dbQueryDuration = new Histogram({
    name: 'db_query_duration_seconds',
    help: 'SQL query duration in seconds.',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly dbPoolTotal = new Gauge({
    name: 'db_pool_connections_total',
    help: 'Connections open in the SQL pool.',
    registers: [this.registry],
  });

  readonly dbPoolIdle = new Gauge({
    name: 'db_pool_connections_idle',
    help: 'Idle connections in the SQL pool.',
    registers: [this.registry],
  });

  readonly dbPoolWaiting = new Gauge({
    name: 'db_pool_waiting_requests',
    help: 'Requests waiting for a SQL connection.',
    registers: [this.registry],
  });

  readonly dbPoolAcquireTimeoutsTotal = new Counter({
    name: 'db_pool_acquire_timeouts_total',
    help: 'SQL connection acquisitions that timed out (answered 503).',
    registers: [this.registry],
  });

  readonly dbTransactionRetriesTotal = new Counter({
    name: 'db_transaction_retries_total',
    help: 'Transactions retried after a serialization failure (SQLSTATE 40001).',
    registers: [this.registry],
  });

  readonly redisDegradedMode = new Gauge({
    name: 'redis_degraded_mode',
    help: '1 while Redis is unreachable and in-process fallbacks serve instead, else 0.',
    registers: [this.registry],
  });

  readonly redisFallbackTotal = new Counter({
    name: 'redis_fallback_total',
    help: 'Operations served by an in-process fallback because Redis was unreachable.',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly authAttemptsTotal = new Counter({
    name: 'auth_attempts_total',
    help: 'Authentication attempts by kind and outcome.',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly rateLimitBlockedTotal = new Counter({
    name: 'rate_limit_blocked_total',
    help: 'Requests refused with 429 by a rate limit.',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly emailsSentTotal = new Counter({
    name: 'emails_sent_total',
    help: 'Emails handed to the mail transport, by template and outcome.',
    labelNames: ['template', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(defaultLabels: Record<string, string> = {}) {
    this.registry.setDefaultLabels(defaultLabels);
    collectDefaultMetrics({ register: this.registry });
  }
}
