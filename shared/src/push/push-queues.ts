import type { Logger } from '../observability/logger';
import type { DispatchReport } from './push-dispatcher';
import type { PushJob, PushQueue } from './push-queue';

/** Jobs waiting in one process at most; past it new ones are dropped (and logged), not queued without bound. */
const MAX_PENDING = 1000;
/** How long the production queue waits for the OpenFaaS gateway to accept a job. */
const ENQUEUE_TIMEOUT_MS = 2000;

/**
 * Embedded mode and tests: the job runs in this process after the caller's response, one at a
 * time in arrival order. `drain()` waits for what is queued (graceful shutdown, tests).
 */
export class InProcessPushQueue implements PushQueue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(
    private readonly dispatch: (job: PushJob) => Promise<DispatchReport>,
    private readonly logger: Logger,
  ) {}

  async enqueue(job: PushJob): Promise<void> {
    if (this.pending >= MAX_PENDING) {
      this.logger.warn({ job }, 'push queue full: a notification was dropped');
      return;
    }
    this.pending++;
    this.tail = this.tail.then(async () => {
      try {
        const report = await this.dispatch(job);
        this.logger.debug({ job, report }, 'push dispatched');
      } catch (error) {
        this.logger.warn({ err: error, job }, 'push dispatch failed');
      } finally {
        this.pending--;
      }
    });
  }

  drain(): Promise<void> {
    return this.tail;
  }
}

/**
 * Production: an asynchronous invocation of the `push-dispatch` function through the OpenFaaS
 * gateway (`POST /async-function/push-dispatch`, answered 202 and queued in NATS), so the request
 * that caused it returns without waiting for any push service. PUSH_DISPATCH_URL names it.
 */
export class HttpPushQueue implements PushQueue {
  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  async enqueue(job: PushJob): Promise<void> {
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(job),
        signal: AbortSignal.timeout(ENQUEUE_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`the dispatch endpoint answered ${response.status}`);
    } catch (error) {
      this.logger.warn({ err: error, job }, 'push dispatch not queued: this notification is lost');
    }
  }
}
