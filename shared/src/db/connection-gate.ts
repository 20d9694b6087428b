/**
 * One permit, handed out in arrival order; a waiter that does not get it within its timeout
 * gives up. It is to a single-connection database what pg.Pool with `max: 1` is to PostgreSQL.
 */
export class ConnectionGate {
  #held = false;
  readonly #waiters: Array<() => void> = [];

  get held(): boolean {
    return this.#held;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** Resolves true once the permit is ours, or false if `timeoutMs` passed first. */
  acquire(timeoutMs: number): Promise<boolean> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(grant), 1);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.#waiters.push(grant);
    });
  }

  /** Passes the permit straight to the next waiter, so no newcomer can overtake the queue. */
  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#held = false;
  }
}
