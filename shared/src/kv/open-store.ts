import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { KeyValueStore } from './key-value-store';
import { MemoryStore } from './memory-store';
import { RedisStore } from './redis-store';

/** What {@link openKeyValueStore} needs; usually REDIS_URL, REDIS_KEY_PREFIX, REDIS_COMMAND_TIMEOUT_MS. */
export interface OpenKeyValueStoreOptions {
  url?: string;
  keyPrefix: string;
  commandTimeoutMs: number;
  logger: Logger;
  metrics: Metrics;
}

/**
 * The process's key-value store: Redis when a URL is configured, otherwise the in-process store
 * of the embedded mode. Embedded is not degraded, so `redis_degraded_mode` stays 0 there.
 *
 * @example
 * const kv = openKeyValueStore({
 *   url: config.REDIS_URL,
 *   keyPrefix: config.REDIS_KEY_PREFIX,
 *   commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
 *   logger,
 *   metrics,
 * });
 */
export function openKeyValueStore({ url, ...options }: OpenKeyValueStoreOptions): KeyValueStore {
  return url ? new RedisStore({ url, ...options }) : new MemoryStore();
}
