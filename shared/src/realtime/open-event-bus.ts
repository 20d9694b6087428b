import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { EventBus } from './event-bus';
import { MemoryEventBus } from './memory-event-bus';
import { RedisEventBus } from './redis-event-bus';

/** What {@link openEventBus} needs; usually REDIS_URL and REDIS_KEY_PREFIX. */
export interface OpenEventBusOptions {
  url?: string;
  keyPrefix: string;
  /** REDIS_COMMAND_TIMEOUT_MS: one PUBLISH's deadline before Redis counts as unreachable. */
  commandTimeoutMs?: number;
  logger: Logger;
  metrics: Metrics;
}

/**
 * The process's event bus: Redis pub/sub when a URL is configured, otherwise the in-process bus
 * of the embedded mode (which is never degraded). Resolves once Redis answered, or once the
 * connect timeout passed with Redis down — never rejects for an unreachable Redis.
 *
 * @example
 * const bus = await openEventBus({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger, metrics });
 * await bus.publish(conversationChannel(id), encodeEventFrame(event));
 */
export async function openEventBus({
  url,
  keyPrefix,
  commandTimeoutMs,
  logger,
  metrics,
}: OpenEventBusOptions): Promise<EventBus> {
  if (!url) return new MemoryEventBus(logger);
  const bus = new RedisEventBus({ url, keyPrefix, commandTimeoutMs, logger, metrics });
  await bus.started;
  return bus;
}
