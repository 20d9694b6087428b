/** Something with frames queued for the network. */
export interface Flushable {
  flush(): void;
  /** When the scheduler last flushed it (`performance.now()`); set by the scheduler. */
  lastFlushAt: number;
}

/**
 * Coalesces writes: frames queued for a socket are written together, one corked write per socket
 * per flush instead of one per frame. One scheduler serves every socket of the gateway, so a
 * burst costs one timer, not one per socket.
 *
 * A socket's writes are at least `intervalMs` apart (REALTIME_WRITE_COALESCE_MS) while frames
 * keep coming. A socket that was flushed longer ago than that — any socket in a quiet spell — is
 * flushed at the end of the current tick, so light traffic waits for nothing, whatever other
 * sockets of the gateway are doing. A socket in a steady stream gets one write per interval
 * carrying everything that arrived meanwhile. Each write costs a syscall on the gateway and a read
 * on the client however few bytes it carries, so fan-out of a busy conversation then costs a
 * fraction of the CPU on both sides, for at most `intervalMs` of added latency. 0 flushes every
 * tick.
 */
export class FlushScheduler {
  /** Flushed at the end of this tick. */
  private readonly due = new Set<Flushable>();
  /** Flushed too recently: wait for the interval's timer. */
  private readonly waiting = new Set<Flushable>();
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs = 0) {}

  /** Flushes `target` with its next flush (once, however often it is scheduled). */
  schedule(target: Flushable): void {
    const wait = target.lastFlushAt + this.intervalMs - performance.now();
    if (wait <= 0) {
      this.due.add(target);
      this.immediate ??= setImmediate(this.flushDue);
    } else {
      this.waiting.add(target);
      // Everything waiting goes with the first timer: a socket flushed at most one interval late.
      this.timer ??= setTimeout(this.flushWaiting, wait);
    }
  }

  private readonly flushDue = (): void => {
    this.immediate = undefined;
    flushAll(this.due);
  };

  private readonly flushWaiting = (): void => {
    this.timer = undefined;
    flushAll(this.waiting);
  };
}

function flushAll(targets: Set<Flushable>): void {
  const now = performance.now();
  for (const target of targets) {
    target.lastFlushAt = now;
    target.flush();
  }
  targets.clear();
}
