import { type KeyValueStore, type SetOptions, ttlMilliseconds } from './key-value-store';

interface Entry {
  value: string;
  /** Epoch milliseconds; null = no expiry. */
  expiresAt: number | null;
}

/** Options for {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** How often expired entries nobody reads again are dropped; reads expire lazily anyway. */
  sweepIntervalMs?: number;
}

/**
 * In-process {@link KeyValueStore}: the store of the embedded mode and the fallback a
 * RedisStore serves from while Redis is unreachable. Same semantics as the Redis adapter,
 * including TTLs, but visible to this process only.
 */
export class MemoryStore implements KeyValueStore {
  readonly degraded = false;
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor({ sweepIntervalMs = 30_000 }: MemoryStoreOptions = {}) {
    this.sweeper = setInterval(() => this.sweep(), sweepIntervalMs);
    // The sweep is housekeeping: it must never keep a process (or a test run) alive.
    this.sweeper.unref();
  }

  async get(key: string): Promise<string | null> {
    return this.live(key)?.value ?? null;
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    const expiresAt =
      options.ttlSeconds === undefined ? null : Date.now() + ttlMilliseconds(options.ttlSeconds);
    if (options.onlyIfAbsent && this.live(key)) return false;
    this.entries.set(key, { value, expiresAt });
    return true;
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const ttl = ttlMilliseconds(ttlSeconds);
    const entry = this.live(key);
    if (entry && !/^-?\d+$/.test(entry.value)) {
      throw new TypeError(`value at ${key} is not an integer`);
    }
    const next = (entry ? Number(entry.value) : 0) + 1;
    this.entries.set(key, { value: String(next), expiresAt: entry?.expiresAt ?? Date.now() + ttl });
    return next;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.entries.clear();
  }

  /** Forgets every entry (used when the fallback's contents go stale on Redis recovery). */
  clear(): void {
    this.entries.clear();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry?.expiresAt != null && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt != null && entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}
