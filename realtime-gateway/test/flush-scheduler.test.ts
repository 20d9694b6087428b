import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FlushScheduler } from '../src/flush-scheduler';

/** A socket stand-in that records which flush carried which frames. */
function recorder() {
  const writes: string[][] = [];
  let queued: string[] = [];
  return {
    writes,
    lastFlushAt: Number.NEGATIVE_INFINITY,
    queue(frame: string) {
      queued.push(frame);
    },
    flush() {
      writes.push(queued);
      queued = [];
    },
  };
}

describe('FlushScheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes the first frame after a quiet spell at the end of the tick', () => {
    const scheduler = new FlushScheduler(10);
    const socket = recorder();
    socket.queue('a');
    scheduler.schedule(socket);
    scheduler.schedule(socket);
    vi.advanceTimersToNextTimer();
    expect(socket.writes).toEqual([['a']]);
    expect(performance.now()).toBe(0);
  });

  it('under a steady stream, writes each socket at most once per interval, carrying everything queued', () => {
    const scheduler = new FlushScheduler(10);
    const socket = recorder();
    const flushedAt: number[] = [];
    const flush = socket.flush.bind(socket);
    socket.flush = () => {
      flushedAt.push(performance.now());
      flush();
    };
    for (let ms = 0; ms < 30; ms += 2) {
      vi.advanceTimersByTime(ms - performance.now());
      socket.queue(`m${ms}`);
      scheduler.schedule(socket);
    }
    vi.runAllTimers();
    expect(flushedAt).toEqual([0, 10, 20, 30]);
    // m0 alone (quiet before), then m2–m8, m10–m18, m20–m28: every frame once, in order.
    expect(socket.writes.map((frames) => frames.length)).toEqual([1, 4, 5, 5]);
    expect(socket.writes.flat()).toEqual(Array.from({ length: 15 }, (_, i) => `m${2 * i}`));
  });

  it('does not hold a quiet socket back because another one is busy', () => {
    const scheduler = new FlushScheduler(10);
    const [busy, quiet] = [recorder(), recorder()];
    busy.queue('b0');
    scheduler.schedule(busy);
    vi.advanceTimersToNextTimer();
    vi.advanceTimersByTime(2);
    busy.queue('b2');
    scheduler.schedule(busy);
    quiet.queue('q2');
    scheduler.schedule(quiet);
    vi.advanceTimersToNextTimer();
    expect(performance.now()).toBe(2);
    expect(quiet.writes).toEqual([['q2']]);
    expect(busy.writes).toEqual([['b0']]);
    vi.advanceTimersToNextTimer();
    expect(performance.now()).toBe(10);
    expect(busy.writes).toEqual([['b0'], ['b2']]);
  });

  it('with interval 0, flushes every tick', () => {
    const scheduler = new FlushScheduler(0);
    const socket = recorder();
    socket.queue('a');
    scheduler.schedule(socket);
    vi.runAllTimers();
    socket.queue('b');
    scheduler.schedule(socket);
    vi.runAllTimers();
    expect(socket.writes).toEqual([['a'], ['b']]);
  });

  it('serves many sockets with one flush', () => {
    const scheduler = new FlushScheduler(10);
    const sockets = [recorder(), recorder(), recorder()];
    for (const socket of sockets) {
      socket.queue('x');
      scheduler.schedule(socket);
    }
    vi.advanceTimersToNextTimer();
    expect(sockets.map((socket) => socket.writes)).toEqual([[['x']], [['x']], [['x']]]);
  });
});
