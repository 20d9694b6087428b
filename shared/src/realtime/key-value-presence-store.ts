import type { KeyValueStore } from '../kv/key-value-store';
import type { ConnectedStatus, PresenceStatus, PresenceStore } from './presence-store';

/** Options for {@link KeyValuePresenceStore}. */
export interface KeyValuePresenceStoreOptions {
  /** How long an assertion lives without a refresh; a few heartbeats, so one late beat is harmless. */
  ttlSeconds: number;
  /** How often to look for the end of a key-value outage, to resync without waiting for a heartbeat. */
  recoveryCheckMs?: number;
}

const presenceKey = (userId: string) => `presence:${userId}`;

/**
 * {@link PresenceStore} on the key-value port: Redis (`presence:<userId>` with a TTL) in
 * production, process memory in the embedded mode. Through a Redis outage the key-value store's
 * own in-process fallback answers, so presence is local (SPEC §8); this store remembers what this
 * process asserted and writes it all back as soon as Redis is reachable again.
 */
export class KeyValuePresenceStore implements PresenceStore {
  /** What this process asserts: its connected users and their statuses. */
  private readonly asserted = new Map<string, ConnectedStatus>();
  private readonly ttlSeconds: number;
  private readonly recoveryCheck: NodeJS.Timeout;
  private wasDegraded: boolean;

  constructor(
    private readonly store: KeyValueStore,
    { ttlSeconds, recoveryCheckMs = 1000 }: KeyValuePresenceStoreOptions,
  ) {
    this.ttlSeconds = ttlSeconds;
    this.wasDegraded = store.degraded;
    this.recoveryCheck = setInterval(() => void this.resyncAfterOutage(), recoveryCheckMs).unref();
  }

  async set(userId: string, status: ConnectedStatus): Promise<void> {
    this.asserted.set(userId, status);
    await this.store.set(presenceKey(userId), status, { ttlSeconds: this.ttlSeconds });
  }

  async clear(userId: string): Promise<void> {
    this.asserted.delete(userId);
    await this.store.delete(presenceKey(userId));
  }

  async get(userIds: string[]): Promise<Record<string, PresenceStatus>> {
    const values = await Promise.all(userIds.map((userId) => this.store.get(presenceKey(userId))));
    return Object.fromEntries(
      userIds.map((userId, index) => {
        const value = values[index];
        return [userId, value === 'online' || value === 'away' ? value : 'offline'];
      }),
    );
  }

  async refresh(): Promise<void> {
    await Promise.all(
      [...this.asserted].map(([userId, status]) =>
        this.store.set(presenceKey(userId), status, { ttlSeconds: this.ttlSeconds }),
      ),
    );
  }

  async close(): Promise<void> {
    clearInterval(this.recoveryCheck);
    this.asserted.clear();
  }

  private async resyncAfterOutage(): Promise<void> {
    const degraded = this.store.degraded;
    const recovered = this.wasDegraded && !degraded;
    this.wasDegraded = degraded;
    // The restarted Redis may be empty and the outage's writes stayed in the fallback.
    if (recovered) await this.refresh().catch(() => {});
  }
}
