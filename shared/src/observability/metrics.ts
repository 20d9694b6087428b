import { Counter, collectDefaultMetrics, Gauge, Histogram, type LabelValues, Registry } from 'prom-client';

/**
 * `redis_degraded_mode` when several Redis clients share a process (the key-value store, the
 * event bus): each reports its own state under a name and the gauge reads 1 while any of them
 * is degraded, so one client recovering cannot hide another's outage. A bare `set` is the
 * key-value store's report, which keeps its existing calls meaning what they meant.
 */
export class RedisDegradedGauge extends Gauge {
  private readonly degradedClients = new Set<string>();

  /** Records whether `client` currently finds Redis unreachable. */
  report(client: string, degraded: boolean): void {
    if (degraded) this.degradedClients.add(client);
    else this.degradedClients.delete(client);
    super.set(this.degradedClients.size > 0 ? 1 : 0);
  }

  override set(...args: [number] | [LabelValues<string>, number]): void {
    const value = args.length === 1 ? args[0] : args[1];
    this.report('kv', value > 0);
  }
}

/**
 * A gauge read from its source when scraped, for a count that lives in a shared store (calls
 * going on): every process reports the same truth, where increments kept per process would not
 * add up. Until a source is attached it reads 0.
 */
export class SampledGauge extends Gauge {
  private source: (() => Promise<number>) | undefined;

  constructor(configuration: { name: string; help: string; registers: Registry[] }) {
    super({
      ...configuration,
      collect: async () => {
        if (!this.source) return;
        try {
          this.set(await this.source());
        } catch {
          // The store is unreachable: keep the last value rather than fail the whole scrape.
        }
      },
    });
  }

  sampleFrom(source: () => Promise<number>): void {
    this.source = source;
  }
}

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

  readonly redisDegradedMode = new RedisDegradedGauge({
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

  readonly sessionVerdictsTotal = new Counter({
    name: 'session_verdicts_total',
    help: 'Session checks of authenticated requests by where the verdict came from: memory, kv (Redis) or sql.',
    labelNames: ['source'] as const,
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

  readonly websocketConnections = new Gauge({
    name: 'websocket_connections',
    help: 'WebSockets open on this gateway, authenticated or not yet.',
    registers: [this.registry],
  });

  readonly websocketMessagesTotal = new Counter({
    name: 'websocket_messages_total',
    help: 'WebSocket frames received (in) and sent (out), by frame type.',
    labelNames: ['direction', 'type'] as const,
    registers: [this.registry],
  });

  readonly websocketClosesTotal = new Counter({
    name: 'websocket_closes_total',
    help: 'WebSockets closed by the gateway, by reason (auth, slow-consumer, protocol, revoked, shutdown…).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly websocketFramesDroppedTotal = new Counter({
    name: 'websocket_frames_dropped_total',
    help: 'Frames not written because the socket was over its send-buffer cap (slow consumer).',
    registers: [this.registry],
  });

  readonly realtimeDegradedPollsTotal = new Counter({
    name: 'realtime_degraded_polls_total',
    help: 'Event-log polls made for locally subscribed conversations while the event bus was degraded.',
    registers: [this.registry],
  });

  readonly realtimeEventsFromLogTotal = new Counter({
    name: 'realtime_events_from_log_total',
    help: 'Durable events a gateway fetched from the event log instead of receiving them pushed, by cause.',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });

  readonly cassandraQueryDuration = new Histogram({
    name: 'cassandra_query_duration_seconds',
    help: 'Cassandra query duration in seconds, by prepared statement and outcome.',
    labelNames: ['statement', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly messagesSentTotal = new Counter({
    name: 'messages_sent_total',
    help: 'Messages stored by the message store (a repeated clientMessageId is not counted again), by store.',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });

  readonly pollsCreatedTotal = new Counter({
    name: 'polls_created_total',
    help: 'Polls created.',
    registers: [this.registry],
  });

  readonly votesCastTotal = new Counter({
    name: 'votes_cast_total',
    help: 'Votes that changed a poll: cast for the first time, changed, or retracted.',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });

  readonly s3CircuitBreakerOpen = new Gauge({
    name: 's3_circuit_breaker_open',
    help: '1 while the circuit breaker in front of object storage is open (drive calls answer 503 at once), else 0.',
    registers: [this.registry],
  });

  readonly s3RequestDuration = new Histogram({
    name: 's3_request_duration_seconds',
    help: 'Object-storage calls in seconds, by operation and outcome (each attempt of a retried call counts).',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly filesUploadedTotal = new Counter({
    name: 'files_uploaded_total',
    help: 'Uploads completed, by outcome: stored, or rejected because the object did not match what was signed.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly filesExpiredTotal = new Counter({
    name: 'files_expired_total',
    help: 'Unfinished uploads the sweep expired, freeing their quota reservations.',
    registers: [this.registry],
  });

  readonly callsActive = new SampledGauge({
    name: 'calls_active',
    help: 'Calls going on (started, not ended), across the deployment.',
    registers: [this.registry],
  });

  readonly pushNotificationsTotal = new Counter({
    name: 'push_notifications_total',
    help: 'Push notifications by provider (fcm, apns, log) and result (sent, invalid-token, failed, skipped).',
    labelNames: ['provider', 'result'] as const,
    registers: [this.registry],
  });

  readonly aiRequestsTotal = new Counter({
    name: 'ai_requests_total',
    help: 'Calls to the AI server by result (ok, refused, timeout, unavailable).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly aiTokensTotal = new Counter({
    name: 'ai_tokens_total',
    help: 'Tokens the AI server reported using, by kind (prompt, completion).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor(defaultLabels: Record<string, string> = {}) {
    this.registry.setDefaultLabels(defaultLabels);
    collectDefaultMetrics({ register: this.registry });
  }
}
