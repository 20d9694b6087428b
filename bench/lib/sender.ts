import { Agent, request } from 'node:http';
import { build, type Histogram } from 'hdr-histogram-js';
import { markerBody, nowMs, type Phase } from './marker';

export interface SendTarget {
  /** Full URL of the send endpoint. */
  url: string;
  headers: Record<string, string>;
  /** The JSON body for one message carrying `body` (the marker). */
  payload(body: string, index: number): string;
}

export interface SendResult {
  attempted: number;
  ok: number;
  failed: number;
  /** Messages not sent because `maxInFlight` requests were already waiting: the server fell behind. */
  skipped: number;
  /** HTTP request latency (µs) of the sends. */
  http: Histogram;
  statuses: Record<string, number>;
}

/**
 * One sender posting messages at a fixed rate, open loop: message i is due at start + i/rate
 * whether or not earlier requests have been answered, and carries its due time as the send
 * time, so a server that falls behind shows as latency instead of slowing the sender down.
 * Requests go over a small pool of keep-alive connections.
 */
function newResult(): SendResult {
  return {
    attempted: 0,
    ok: 0,
    failed: 0,
    skipped: 0,
    http: build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 120_000_000,
      numberOfSignificantValueDigits: 3,
    }),
    statuses: {},
  };
}

export class RateSender {
  private readonly agent: Agent;
  private inFlight = 0;
  private index = 0;

  constructor(
    private readonly target: SendTarget,
    private readonly maxInFlight = 256,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 64 });
  }

  /**
   * Sends `rate` messages per second: `warmupMs` of them marked as warm-up, then `measureMs`
   * marked as measured (`onMeasure` is called at the switch), then waits (bounded) for the answers.
   */
  async run(
    rate: number,
    warmupMs: number,
    measureMs: number,
    step: number,
    onMeasure: () => void = () => {},
  ): Promise<{ warm: SendResult; measured: SendResult; sendSeconds: number }> {
    const warm = newResult();
    const measured = newResult();
    const warmCount = Math.round((rate * warmupMs) / 1000);
    const total = warmCount + Math.round((rate * measureMs) / 1000);
    const start = nowMs();
    let measureStart = start;
    const pending: Promise<void>[] = [];
    let sent = 0;
    while (sent < total) {
      const now = nowMs();
      const due = Math.min(total, Math.floor(((now - start) * rate) / 1000) + 1);
      for (; sent < due; sent++) {
        if (sent === warmCount) {
          measureStart = nowMs();
          onMeasure();
        }
        const dueAt = start + (sent * 1000) / rate;
        const phase: Phase = sent < warmCount ? 'w' : 'm';
        const result = phase === 'w' ? warm : measured;
        result.attempted++;
        if (this.inFlight >= this.maxInFlight) {
          result.skipped++;
          continue;
        }
        pending.push(this.send(dueAt, step, phase, result));
      }
      // Sleep until the next message is due (timers fire at ~1 ms granularity).
      const wait = start + (sent * 1000) / rate - nowMs();
      if (wait > 1) await new Promise((done) => setTimeout(done, wait));
      else await new Promise((done) => setImmediate(done));
    }
    const sendSeconds = (nowMs() - measureStart) / 1000;
    await Promise.race([Promise.all(pending), new Promise((done) => setTimeout(done, 15_000))]);
    return { warm, measured, sendSeconds };
  }

  private send(dueAt: number, step: number, phase: Phase, result: SendResult): Promise<void> {
    this.inFlight++;
    const index = this.index++;
    const body = this.target.payload(markerBody(step, phase, dueAt), index);
    return new Promise<void>((done) => {
      const began = nowMs();
      let finished = false;
      const finish = (status: string) => {
        if (finished) return;
        finished = true;
        this.inFlight--;
        result.statuses[status] = (result.statuses[status] ?? 0) + 1;
        if (status.startsWith('2')) {
          result.ok++;
          result.http.recordValue(Math.max(1, Math.min(120_000_000, Math.round((nowMs() - began) * 1000))));
        } else result.failed++;
        done();
      };
      const req = request(
        this.target.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            ...this.target.headers,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
          timeout: 30_000,
        },
        (res) => {
          res.resume();
          res.on('end', () => finish(String(res.statusCode)));
          res.on('error', () => finish('response-error'));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? 'error'));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
