import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExpiryWheel } from '../src/expiry-wheel';

describe('ExpiryWheel', () => {
  let expired: string[];
  let wheel: ExpiryWheel<string>;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'], now: 1_000_000 });
    expired = [];
    wheel = new ExpiryWheel((item) => expired.push(item), 1000);
  });
  afterEach(() => {
    wheel.close();
    vi.useRealTimers();
  });

  it('hands each item over after its deadline, within two slots, never before', () => {
    wheel.add('a', Date.now() + 1500);
    wheel.add('b', Date.now() + 4200);
    vi.advanceTimersByTime(1499);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(2001);
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(700);
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(2000);
    expect(expired).toEqual(['a', 'b']);
  });

  it('forgets a removed item, and moves one re-added with a later deadline', () => {
    const first = Date.now() + 1000;
    wheel.add('gone', first);
    wheel.add('renewed', first);
    wheel.remove('gone', first);
    wheel.remove('renewed', first);
    wheel.add('renewed', Date.now() + 5000);
    vi.advanceTimersByTime(4000);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(2000);
    expect(expired).toEqual(['renewed']);
  });

  it('runs no timer while nothing waits', () => {
    wheel.add('a', Date.now() + 500);
    vi.advanceTimersByTime(2000);
    expect(expired).toEqual(['a']);
    expect(vi.getTimerCount()).toBe(0);
    wheel.add('b', Date.now() + 500);
    expect(vi.getTimerCount()).toBe(1);
  });
});
