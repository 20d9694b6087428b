import type { Logger } from '../observability/logger';
import type { EventBus } from './event-bus';

type Handler = (payload: string) => void;

/**
 * {@link EventBus} inside one process: the embedded mode's pub/sub, and the local dispatcher
 * the Redis adapter delivers through. Delivery is synchronous and in publish order; a handler
 * that throws is logged and does not keep the others from their payload.
 */
export class MemoryEventBus implements EventBus {
  readonly degraded = false;
  /** Each subscription is its own entry, so subscribing one function twice unsubscribes cleanly. */
  private readonly handlers = new Map<string, Set<{ handler: Handler }>>();

  constructor(private readonly logger: Logger) {}

  async publish(channel: string, payload: string): Promise<void> {
    this.deliver(channel, payload);
  }

  async subscribe(channel: string, handler: Handler): Promise<() => Promise<void>> {
    const { remove } = this.add(channel, handler);
    return async () => void remove();
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }

  /** Hands `payload` to this process's subscribers of `channel`. */
  deliver(channel: string, payload: string): void {
    const entries = this.handlers.get(channel);
    if (!entries) return;
    for (const entry of entries) {
      try {
        entry.handler(payload);
      } catch (error) {
        this.logger.error({ err: error, channel }, 'event handler failed');
      }
    }
  }

  /**
   * Registers a handler synchronously. `first` says whether the channel had no handler before;
   * `remove()` returns whether it removed the channel's last — what a broker adapter needs to
   * (un)subscribe upstream exactly once per channel. Removing twice is harmless.
   */
  add(channel: string, handler: Handler): { first: boolean; remove: () => boolean } {
    let entries = this.handlers.get(channel);
    const first = entries === undefined;
    if (!entries) {
      entries = new Set();
      this.handlers.set(channel, entries);
    }
    const entry = { handler };
    entries.add(entry);
    const remove = (): boolean => {
      const current = this.handlers.get(channel);
      if (!current?.delete(entry) || current.size > 0) return false;
      this.handlers.delete(channel);
      return true;
    };
    return { first, remove };
  }

  /** Channels with at least one handler in this process. */
  channels(): string[] {
    return [...this.handlers.keys()];
  }
}
