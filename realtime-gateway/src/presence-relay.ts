import type { Logger } from '@secureconnect/shared/observability/logger';
import type { PresenceStatus, PresenceStore } from '@secureconnect/shared/realtime/presence-store';

/** Where a {@link PresenceRelay} writes statuses and how it tells others. */
export interface PresenceRelayOptions {
  store: PresenceStore;
  /** Tells the members of `conversationIds` (publishes a `presence` frame to each conversation). */
  announce: (userId: string, status: PresenceStatus, conversationIds: string[]) => void;
  /** At most one announcement per user per this many milliseconds; the latest status always follows. */
  throttleMs: number;
  logger: Logger;
}

interface UserPresence {
  status: PresenceStatus;
  conversationIds: string[];
  lastAnnouncedAt: number;
  trailing: NodeJS.Timeout | undefined;
}

/**
 * Keeps the presence store and the members of a user's conversations informed of the user's
 * status as this gateway sees it, throttled so a flapping client cannot flood its contacts.
 */
export class PresenceRelay {
  private readonly users = new Map<string, UserPresence>();

  constructor(private readonly options: PresenceRelayOptions) {}

  /** The user's status on this gateway changed (`offline`: their last local socket closed). */
  update(userId: string, status: PresenceStatus, conversationIds: string[]): void {
    const { store, logger } = this.options;
    const write = status === 'offline' ? store.clear(userId) : store.set(userId, status);
    write.catch((error: unknown) => logger.warn({ err: error, userId }, 'presence not stored'));

    let user = this.users.get(userId);
    if (user?.status === status) return;
    user ??= { status, conversationIds, lastAnnouncedAt: 0, trailing: undefined };
    user.status = status;
    user.conversationIds = conversationIds;
    this.users.set(userId, user);
    if (user.trailing) return;
    const wait = user.lastAnnouncedAt + this.options.throttleMs - Date.now();
    if (wait <= 0) this.announce(userId, user);
    else user.trailing = setTimeout(() => this.announce(userId, user), wait).unref();
  }

  close(): void {
    for (const user of this.users.values()) clearTimeout(user.trailing);
    this.users.clear();
  }

  private announce(userId: string, user: UserPresence): void {
    user.trailing = undefined;
    user.lastAnnouncedAt = Date.now();
    this.options.announce(userId, user.status, user.conversationIds);
    // An offline user with nothing pending needs no state; the throttle restarts with them.
    if (user.status === 'offline') this.users.delete(userId);
  }
}
