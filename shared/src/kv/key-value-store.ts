/** Options for {@link KeyValueStore.set}. */
export interface SetOptions {
  /** Expire the key after this many seconds (fractions allowed, must be > 0); omitted = no expiry. */
  ttlSeconds?: number;
  /** Write only when the key does not exist yet (SET NX): for locks and idempotency keys. */
  onlyIfAbsent?: boolean;
}

/**
 * The key-value port (SPEC §7 "Redis"): presence, typing, deny-list, idempotency keys, caches.
 * Nothing stored here may be the only copy of a fact; an implementation is allowed to lose it.
 *
 * Keys are given unprefixed; the adapter applies the configured key prefix.
 */
export interface KeyValueStore {
  /** The value, or null when the key is absent or expired. */
  get(key: string): Promise<string | null>;
  /** Writes the value; resolves false only when `onlyIfAbsent` is set and the key exists. */
  set(key: string, value: string, options?: SetOptions): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * Atomically adds one and returns the new count. A key without an expiry (a new one) gets
   * `ttlSeconds`, so a counter window starts at its first increment and is not extended later.
   * Rejects when the stored value is not an integer.
   */
  increment(key: string, ttlSeconds: number): Promise<number>;
  /** True while the backing service is unreachable and an in-process fallback answers instead. */
  readonly degraded: boolean;
  /** Resolves when the backing service itself answers; rejects otherwise (never the fallback). */
  ping(): Promise<void>;
  /** Releases connections and timers; the store must not be used afterwards. */
  close(): Promise<void>;
}

/**
 * Converts a TTL to whole milliseconds (Redis PX granularity), refusing values Redis would
 * reject, so both implementations fail the same way on a bad TTL.
 */
export function ttlMilliseconds(ttlSeconds: number): number {
  const milliseconds = Math.ceil(ttlSeconds * 1000);
  if (!Number.isFinite(milliseconds) || milliseconds <= 0) {
    throw new RangeError(`ttlSeconds must be a positive number (got ${ttlSeconds})`);
  }
  return milliseconds;
}
