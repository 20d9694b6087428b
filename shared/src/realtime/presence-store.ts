/** What a user shows to the members of their conversations. */
export type PresenceStatus = 'online' | 'away' | 'offline';

/** A status a connected user can assert; `offline` is what remains when they stop asserting. */
export type ConnectedStatus = Exclude<PresenceStatus, 'offline'>;

/** Every status, for schemas. */
export const PRESENCE_STATUSES = ['online', 'away', 'offline'] as const satisfies readonly PresenceStatus[];

/**
 * Who is online (SPEC §7 "presence with TTL"). Gateways assert the status of the users connected
 * to them and refresh it on their heartbeat; a status nobody refreshes expires, so a crashed
 * gateway's users turn offline by themselves. Readable from any process (presence-get).
 */
export interface PresenceStore {
  /** Asserts a connected user's status until the TTL runs out; remembered for {@link refresh}. */
  set(userId: string, status: ConnectedStatus): Promise<void>;
  /** The user's last socket on this process closed: they are offline, as far as this process knows. */
  clear(userId: string): Promise<void>;
  /** Each requested user's status; unknown and expired users are `offline`. */
  get(userIds: string[]): Promise<Record<string, PresenceStatus>>;
  /** Asserts again every status this process holds: the heartbeat, and the resync after an outage. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}
