import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { EventBus } from './event-bus';
import { MemoryEventBus } from './memory-event-bus';

/** Options for {@link RedisEventBus}. */
export interface RedisEventBusOptions {
  /** `redis://` or `rediss://`, credentials and database included. */
  url: string;
  /** Prepended to every channel name (REDIS_KEY_PREFIX), so deployments sharing a Redis stay apart. */
  keyPrefix: string;
  /** Deadline of one PUBLISH or health check; past it the bus counts Redis as unreachable. */
  commandTimeoutMs?: number;
  /** How often the publisher connection is pinged, to notice a hung (not just a dead) server. */
  healthCheckIntervalMs?: number;
  logger: Logger;
  metrics: Metrics;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 500;
const DEFAULT_HEALTH_CHECK_INTERVAL_MS = 1000;
/** As in the key-value store: a black-holed host must not delay noticing recovery by 10 s. */
const CONNECT_TIMEOUT_MS = 2000;
/** Channels per SUBSCRIBE when resubscribing after a reconnect; keeps one command reasonably small. */
const RESUBSCRIBE_BATCH = 1000;
/** Failed publishes kept for replay, at most; past it the oldest are dropped (and counted). */
const OUTBOX_MAX_ENTRIES = 10_000;
/** A failed publish older than this is not replayed: gateways have read the log by then. */
const OUTBOX_MAX_AGE_MS = 60_000;

interface PendingPublish {
  channel: string;
  payload: string;
  at: number;
}

/** Exponential from 100 ms, capped at 2 s, forever, with jitter (same policy as the key-value store). */
function reconnectDelay(attempt: number): number {
  return Math.min(100 * 2 ** (attempt - 1), 2000) + Math.floor(Math.random() * 100);
}

/**
 * {@link EventBus} on Redis pub/sub: one publisher and one subscriber connection per process.
 *
 * Redis down never stops a publisher (SPEC §8): `publish` fails fast (no offline queue), counts
 * `redis_fallback_total{operation="publish"}` and still delivers to this process's own
 * subscribers — the embedded-style path that keeps a single-process deployment whole. Other
 * processes miss the message; gateways notice `degraded`, poll the event log meanwhile and catch
 * up once more when Redis returns. `degraded` turns false only after every channel has been
 * subscribed again on a fresh connection, so a caller that catches up then misses nothing.
 *
 * A publish that fails is also kept in an outbox and replayed, in order, once the publisher
 * connection is back; later publishes queue behind it, so each channel keeps its order. That
 * covers what the gateways cannot notice: THIS process losing Redis (a timeout, a dropped
 * connection) while theirs stayed healthy, which would otherwise leave the last event of a quiet
 * conversation, or a membership or revocation signal, undelivered until something else happened.
 * Replays reach this process's own subscribers a second time (they had the local delivery):
 * consumers already drop repeated seqs, and signals are idempotent. The outbox is bounded
 * ({@link OUTBOX_MAX_ENTRIES}, {@link OUTBOX_MAX_AGE_MS}) and lives as long as the process.
 */
export class RedisEventBus implements EventBus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  /** This process's handlers; Redis messages and fallback publishes are delivered through it. */
  private readonly local: MemoryEventBus;
  private readonly keyPrefix: string;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly healthCheck: NodeJS.Timeout;
  private publisherReady = false;
  private subscriberSynced = false;
  /** Starts true: until both connections are up, only this process hears its own publishes. */
  private isDegraded = true;
  /**
   * Resolves once both connections are up, or after the connect timeout when Redis is down at
   * boot. Until then nothing is reported: connecting is not an outage.
   */
  readonly started: Promise<void>;
  private starting = true;
  private settleStart: (() => void) | undefined;
  private closing = false;
  private readonly outbox: PendingPublish[] = [];
  private draining = false;

  constructor({
    url,
    keyPrefix,
    commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS,
    healthCheckIntervalMs = DEFAULT_HEALTH_CHECK_INTERVAL_MS,
    logger,
    metrics,
  }: RedisEventBusOptions) {
    this.keyPrefix = keyPrefix;
    this.logger = logger.child({ component: 'event-bus' });
    this.metrics = metrics;
    this.local = new MemoryEventBus(this.logger);
    const options: RedisOptions = {
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: commandTimeoutMs,
      disconnectTimeout: commandTimeoutMs,
      // Fail at once while disconnected instead of queueing: a publish must never wait on Redis.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: reconnectDelay,
      // Resubscribing is ours (see resubscribe): ioredis would only restore channels whose
      // SUBSCRIBE had succeeded, and channels added during the outage would be lost.
      autoResubscribe: false,
    };
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, options);

    this.publisher.on('ready', () => {
      this.publisherReady = true;
      this.updateDegraded();
      void this.drainOutbox();
    });
    this.publisher.on('close', () => {
      this.publisherReady = false;
      this.updateDegraded();
    });
    this.subscriber.on('ready', () => void this.resubscribe());
    this.subscriber.on('close', () => {
      this.subscriberSynced = false;
      this.updateDegraded();
    });
    for (const client of [this.publisher, this.subscriber]) {
      // Every failed reconnect attempt lands here; the transition itself is logged once, at warn.
      client.on('error', (error: Error) => this.logger.debug({ err: error }, 'Redis connection error'));
    }
    this.subscriber.on('message', (channel: string, payload: string) => {
      if (channel.startsWith(this.keyPrefix))
        this.local.deliver(channel.slice(this.keyPrefix.length), payload);
    });
    this.started = this.firstConnection();
    this.healthCheck = setInterval(() => void this.checkHealth(), healthCheckIntervalMs).unref();
  }

  get degraded(): boolean {
    return this.isDegraded;
  }

  async publish(channel: string, payload: string): Promise<void> {
    if (this.outbox.length === 0 && !this.isDegraded) {
      try {
        await this.publisher.publish(this.keyPrefix + channel, payload);
        return;
      } catch (error) {
        this.recycle(error);
      }
    }
    // While connected, Redis brings the replay to this process's subscribers; while not, they hear it now.
    if (this.isDegraded) {
      this.metrics.redisFallbackTotal.inc({ operation: 'publish' });
      this.local.deliver(channel, payload);
    }
    this.keep(channel, payload);
  }

  async subscribe(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>> {
    const { first, remove } = this.local.add(channel, handler);
    // While disconnected the channel is only recorded; `resubscribe` sends it once Redis is back.
    if (first && this.subscriberSynced) {
      await this.subscriber
        .subscribe(this.keyPrefix + channel)
        .catch((error: unknown) => this.recycle(error));
    }
    return async () => {
      if (remove() && this.subscriberSynced) {
        await this.subscriber.unsubscribe(this.keyPrefix + channel).catch(() => {});
      }
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.healthCheck);
    if (this.outbox.length > 0) this.dropFromOutbox(this.outbox.length);
    await this.local.close();
    for (const client of [this.subscriber, this.publisher]) {
      if (client.status === 'ready') await client.quit().catch(() => {});
      client.disconnect();
    }
    this.metrics.redisDegradedMode.report('event-bus', false);
  }

  /** Queues a publish behind those not yet in Redis. */
  private keep(channel: string, payload: string): void {
    if (this.closing) return;
    this.outbox.push({ channel, payload, at: Date.now() });
    if (this.outbox.length > OUTBOX_MAX_ENTRIES) this.dropFromOutbox(this.outbox.length - OUTBOX_MAX_ENTRIES);
    if (this.publisherReady) void this.drainOutbox();
  }

  private dropFromOutbox(count: number): void {
    this.outbox.splice(0, count);
    this.metrics.redisFallbackTotal.inc({ operation: 'publish-dropped' }, count);
  }

  /** Replays the outbox in order while the publisher answers; a failure leaves the rest for the next `ready`. */
  private async drainOutbox(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.outbox.length > 0 && this.publisherReady && !this.closing) {
        const firstFresh = this.outbox.findIndex((entry) => Date.now() - entry.at <= OUTBOX_MAX_AGE_MS);
        if (firstFresh !== 0) {
          this.dropFromOutbox(firstFresh === -1 ? this.outbox.length : firstFresh);
          continue;
        }
        const next = this.outbox[0]!;
        try {
          await this.publisher.publish(this.keyPrefix + next.channel, next.payload);
        } catch (error) {
          this.recycle(error);
          return;
        }
        // Unless the bound dropped it meanwhile.
        if (this.outbox[0] === next) this.outbox.shift();
        this.metrics.redisFallbackTotal.inc({ operation: 'publish-replayed' });
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * On every fresh subscriber connection: subscribe every channel that has local handlers,
   * including those added while this runs, and only then count the bus as connected.
   */
  private async resubscribe(): Promise<void> {
    try {
      // Repeats until the handlers stopped changing under it: the last check and marking the bus
      // synced happen in one tick, so no channel can slip between them.
      const subscribed = new Set<string>();
      for (;;) {
        const wanted = new Set(this.local.channels());
        const missing = [...wanted].filter((channel) => !subscribed.has(channel));
        // Channels whose last handler left meanwhile: their unsubscribe was skipped while not synced.
        const stale = [...subscribed].filter((channel) => !wanted.has(channel));
        if (missing.length === 0 && stale.length === 0) break;
        for (let start = 0; start < missing.length; start += RESUBSCRIBE_BATCH) {
          const batch = missing.slice(start, start + RESUBSCRIBE_BATCH);
          await this.subscriber.subscribe(...batch.map((channel) => this.keyPrefix + channel));
          for (const channel of batch) subscribed.add(channel);
        }
        if (stale.length > 0) {
          await this.subscriber.unsubscribe(...stale.map((channel) => this.keyPrefix + channel));
          for (const channel of stale) subscribed.delete(channel);
        }
      }
      this.subscriberSynced = true;
      this.updateDegraded();
    } catch (error) {
      this.recycle(error);
    }
  }

  private async checkHealth(): Promise<void> {
    if (!this.publisherReady) return;
    try {
      await this.publisher.ping();
    } catch (error) {
      this.recycle(error);
    }
  }

  /**
   * A command failed or timed out on a connection that still looks open (a hung server):
   * drop both connections so that only a fresh `ready` — the server answering again — ends the
   * outage.
   */
  private recycle(reason: unknown): void {
    if (this.closing) return;
    this.logger.debug({ err: reason }, 'Redis command failed; reconnecting');
    this.publisherReady = false;
    this.subscriberSynced = false;
    this.updateDegraded();
    for (const client of [this.publisher, this.subscriber]) {
      if (client.status === 'ready') client.disconnect(true);
    }
  }

  private updateDegraded(): void {
    if (this.closing) return;
    const degraded = !(this.publisherReady && this.subscriberSynced);
    if (degraded === this.isDegraded) return;
    this.isDegraded = degraded;
    if (!this.starting) this.report();
    else if (!degraded) this.settleStart?.();
  }

  /** One gauge update and one log line per transition. */
  private report(): void {
    this.metrics.redisDegradedMode.report('event-bus', this.isDegraded);
    if (this.isDegraded)
      this.logger.warn('Redis unreachable: events reach this process only; gateways poll the event log');
    else this.logger.info('Redis reachable: events published through Redis');
  }

  private firstConnection(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settleStart?.(), CONNECT_TIMEOUT_MS).unref();
      this.settleStart = () => {
        this.settleStart = undefined;
        clearTimeout(timer);
        this.starting = false;
        // A healthy start is not news; only a start without Redis is worth a line.
        if (this.isDegraded) this.report();
        resolve();
      };
    });
  }
}
