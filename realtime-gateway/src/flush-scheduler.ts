/** Something with frames queued for the network. */
export interface Flushable {
  flush(): void;
}

/**
 * Coalesces writes per socket per tick: frames queued during one turn of the event loop are
 * written together by a single `setImmediate`, one corked write per socket instead of one per
 * frame. One scheduler serves every socket of the gateway, so a burst costs one timer, not one
 * per socket.
 */
export class FlushScheduler {
  private readonly dirty = new Set<Flushable>();
  private scheduled = false;

  /** Flushes `target` at the end of this tick (once, however often it is scheduled). */
  schedule(target: Flushable): void {
    this.dirty.add(target);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushAll);
  }

  private readonly flushAll = (): void => {
    this.scheduled = false;
    for (const target of this.dirty) target.flush();
    this.dirty.clear();
  };
}
