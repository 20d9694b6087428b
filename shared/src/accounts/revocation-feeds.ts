import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger';
import { type EventBus, sessionRevocationChannel } from '../realtime/event-bus';
import type { RevocationFeed } from './session-verdicts';

/** Options for {@link RedisRevocationFeed}. */
export interface RedisRevocationFeedOptions {
  /**
   * The key-value store's client. The feed opens a connection of its own with the same settings
   * (address, credentials, timeouts, reconnect policy): one in subscribe mode can run nothing else.
   */
  client: Redis;
  /** REDIS_KEY_PREFIX, which the event bus puts before channel names (ioredis prefixes keys only). */
  keyPrefix: string;
  /** REDIS_COMMAND_TIMEOUT_MS: how long an answer from Redis keeps the feed current (see `current`). */
  commandTimeoutMs: number;
  logger: Logger;
}

/**
 * {@link RevocationFeed} on Redis pub/sub: one connection subscribed to the revocation channel.
 * It starts a new epoch once a SUBSCRIBE is acknowledged on a fresh connection (ioredis's own
 * resubscription is off, since it does not say when it is done), and is current while subscribed
 * and Redis answered a PING sent less than REDIS_COMMAND_TIMEOUT_MS ago: a PONG proves that every
 * announcement Redis took before the PING has arrived. A hung Redis therefore stops memory from
 * vouching within one command timeout — no later than a revoker reaching that Redis could learn
 * its publish failed and its revocation returned. A failed PING drops the connection, so only a
 * fresh subscription (a new epoch) ends the outage.
 */
export class RedisRevocationFeed implements RevocationFeed {
  /** Resolves once first subscribed, or once the first connection attempt failed: never rejects. */
  readonly started: Promise<void>;
  private readonly connection: Redis;
  private readonly channel: string;
  private readonly leaseMs: number;
  private readonly logger: Logger;
  private readonly heartbeat: NodeJS.Timeout;
  private listener: ((payload: string) => void) | undefined;
  private subscribed = false;
  private epochCount = 0;
  /** When the last command Redis answered on this subscription was sent (`performance.now()`). */
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private pinging = false;
  private lossReported = false;
  private closing = false;
  private settleStart: (() => void) | undefined;

  constructor({ client, keyPrefix, commandTimeoutMs, logger }: RedisRevocationFeedOptions) {
    this.channel = keyPrefix + sessionRevocationChannel;
    this.leaseMs = commandTimeoutMs;
    this.logger = logger.child({ component: 'session-revocations' });
    this.started = new Promise((resolve) => {
      this.settleStart = resolve;
    });
    this.connection = client.duplicate({ autoResubscribe: false });
    this.connection.on('ready', () => void this.subscribe());
    this.connection.on('close', () => {
      this.markLost();
      this.settle();
    });
    // Every failed reconnect attempt lands here; the transition itself is logged once, at warn.
    this.connection.on('error', (error: Error) =>
      this.logger.debug({ err: error }, 'Redis connection error'),
    );
    this.connection.on('message', (_channel: string, payload: string) => this.listener?.(payload));
    // Twice per lease, so that a healthy Redis keeps the feed current without a gap.
    this.heartbeat = setInterval(() => void this.ping(), commandTimeoutMs / 2).unref();
  }

  get current(): boolean {
    return this.subscribed && performance.now() - this.confirmedAt < this.leaseMs;
  }

  get epoch(): number {
    return this.epochCount;
  }

  listen(listener: (payload: string) => void): void {
    this.listener = listener;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    this.settle();
    if (this.connection.status === 'ready') await this.connection.quit().catch(() => {});
    this.connection.disconnect();
  }

  private async subscribe(): Promise<void> {
    const sentAt = performance.now();
    try {
      await this.connection.subscribe(this.channel);
    } catch (error) {
      this.logger.debug({ err: error }, 'subscribing to session revocations failed; reconnecting');
      this.recycle();
      return;
    }
    if (this.closing) return;
    this.subscribed = true;
    this.confirmedAt = sentAt;
    this.epochCount += 1;
    this.settle();
    if (this.lossReported) {
      this.lossReported = false;
      this.logger.info('session revocations heard again: live sessions verified from memory');
    }
  }

  private async ping(): Promise<void> {
    if (!this.subscribed || this.pinging) return;
    this.pinging = true;
    const sentAt = performance.now();
    try {
      await this.connection.ping();
      this.confirmedAt = sentAt;
    } catch (error) {
      this.logger.debug({ err: error }, 'Redis did not answer a PING; reconnecting');
      this.recycle();
    } finally {
      this.pinging = false;
    }
  }

  /** A command failed on a connection that may still look open (a hung server): start over. */
  private recycle(): void {
    if (this.closing) return;
    this.markLost();
    if (this.connection.status === 'ready') this.connection.disconnect(true);
  }

  private markLost(): void {
    const wasSubscribed = this.subscribed;
    this.subscribed = false;
    if (!wasSubscribed || this.closing) return;
    this.lossReported = true;
    this.logger.warn(
      'session revocations unreachable: live sessions verified in Redis or SQL until resubscribed',
    );
  }

  private settle(): void {
    this.settleStart?.();
    this.settleStart = undefined;
  }
}

/**
 * {@link RevocationFeed} on the in-process bus of embedded mode, which delivers each announcement
 * within the publish itself: nothing can be missed, so it is current once subscribed and its
 * epoch never changes. (A Redis bus reports no reconnections, hence {@link RedisRevocationFeed}.)
 */
export class InProcessRevocationFeed implements RevocationFeed {
  readonly epoch = 0;
  private readonly subscription: Promise<() => Promise<void>>;
  private subscribed = false;
  private listener: ((payload: string) => void) | undefined;

  constructor(bus: EventBus) {
    this.subscription = bus.subscribe(sessionRevocationChannel, (payload) => this.listener?.(payload));
    void this.subscription.then(() => {
      this.subscribed = true;
    });
  }

  get current(): boolean {
    return this.subscribed;
  }

  listen(listener: (payload: string) => void): void {
    this.listener = listener;
  }

  async close(): Promise<void> {
    const unsubscribe = await this.subscription;
    this.subscribed = false;
    await unsubscribe();
  }
}
