/**
 * Deadlines of many items on one timer: each item waits in the slot of `slotMs` its deadline falls
 * in, and a tick every `slotMs` hands over the items of every slot that has passed. The gateway
 * keeps every socket's token expiry here: a timer per socket would keep a Timeout, its callback
 * and their context (some 350 bytes) alive per idle socket, where a slot costs one Set entry.
 *
 * An item is handed over at most two slots after its deadline (the deadline's slot ends up to one
 * slot later, and ticks run at any phase of a slot), never before.
 */
export class ExpiryWheel<T> {
  /** Items by the slot their deadline falls in: slot n holds deadlines in ((n - 1) × slotMs, n × slotMs]. */
  private readonly slots = new Map<number, Set<T>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onExpired: (item: T) => void,
    private readonly slotMs = 1000,
  ) {}

  /** Hands `item` over at `deadlineMs` (epoch ms); `remove` takes the same deadline back. */
  add(item: T, deadlineMs: number): void {
    const slot = this.slotOf(deadlineMs);
    let items = this.slots.get(slot);
    if (!items) {
      items = new Set();
      this.slots.set(slot, items);
    }
    items.add(item);
    this.timer ??= setInterval(this.tick, this.slotMs).unref();
  }

  remove(item: T, deadlineMs: number): void {
    const slot = this.slotOf(deadlineMs);
    const items = this.slots.get(slot);
    if (items?.delete(item) && items.size === 0) this.slots.delete(slot);
  }

  /** Stops the timer; items still waiting are never handed over. */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.slots.clear();
  }

  private slotOf(deadlineMs: number): number {
    return Math.ceil(deadlineMs / this.slotMs);
  }

  private readonly tick = (): void => {
    const now = Date.now();
    for (const [slot, items] of this.slots) {
      if (slot * this.slotMs > now) continue;
      // Detached first: onExpired may remove (or add) items.
      this.slots.delete(slot);
      for (const item of items) this.onExpired(item);
    }
    if (this.slots.size === 0) this.close();
  };
}
