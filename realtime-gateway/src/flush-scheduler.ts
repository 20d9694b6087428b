/** Something with frames queued for the network. */
export interface Flushable {
  flush(): void;
}

/**
 * Coalesces writes: frames queued for a socket are written together, one corked write per socket
 * per flush instead of one per frame. One scheduler serves every socket of the gateway, so a
 * burst costs one timer, not one per socket.
 *
 * Flushes are at least `intervalMs` apart (REALTIME_WRITE_COALESCE_MS). After a quiet spell the
 * next flush runs at the end of the current tick, so light traffic waits for nothing; under a
 * steady stream each socket gets at most one write per interval carrying everything that arrived
 * meanwhile. Each write costs a syscall on the gateway and a read on the client however few bytes
 * it carries, so fan-out of a busy conversation then costs a fraction of the CPU on both sides, for
 * at most `intervalMs` of added latency. 0 flushes every tick.
 */
export class FlushScheduler {
  private readonly dirty = new Set<Flushable>();
  private scheduled = false;
  private lastFlushAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly intervalMs = 0) {}

  /** Flushes `target` with the next flush (once, however often it is scheduled). */
  schedule(target: Flushable): void {
    this.dirty.add(target);
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = this.lastFlushAt + this.intervalMs - performance.now();
    if (wait <= 0) setImmediate(this.flushAll);
    else setTimeout(this.flushAll, wait);
  }

  private readonly flushAll = (): void => {
    this.scheduled = false;
    this.lastFlushAt = performance.now();
    for (const target of this.dirty) target.flush();
    this.dirty.clear();
  };
}
