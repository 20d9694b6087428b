import { expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from '../src/backoff';

const options = { initialDelayMs: 100, maxDelayMs: 5000 };

it('doubles from the initial delay up to the cap, each delay between half the step and the step', () => {
  for (let attempt = 0; attempt < 20; attempt++) {
    const step = Math.min(5000, 100 * 2 ** attempt);
    expect(backoffDelay(attempt, options, () => 0)).toBe(step / 2);
    expect(backoffDelay(attempt, options, () => 0.999_999)).toBeCloseTo(step, 0);
    for (let sample = 0; sample < 50; sample++) {
      const delay = backoffDelay(attempt, options);
      expect(delay).toBeGreaterThanOrEqual(step / 2);
      expect(delay).toBeLessThanOrEqual(step);
    }
  }
});

it('never exceeds the cap however many attempts failed', () => {
  expect(backoffDelay(10_000, DEFAULT_BACKOFF)).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxDelayMs);
  expect(backoffDelay(10_000, DEFAULT_BACKOFF)).toBeGreaterThanOrEqual(DEFAULT_BACKOFF.maxDelayMs / 2);
});

it('spreads clients out: delays for the same attempt differ', () => {
  const delays = new Set(Array.from({ length: 20 }, () => backoffDelay(3, options)));
  expect(delays.size).toBeGreaterThan(10);
});
