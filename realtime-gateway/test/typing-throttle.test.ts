import { expect, it } from 'vitest';
import { TypingThrottle } from '../src/typing-throttle';

it('relays one typing frame per conversation per second and limits a socket over all conversations', () => {
  const throttle = new TypingThrottle();
  expect(throttle.check('a', 0)).toBe('relay');
  expect(throttle.check('a', 500)).toBe('repeat');
  expect(throttle.check('b', 500)).toBe('relay');
  expect(throttle.check('a', 1000)).toBe('relay');

  const verdicts = Array.from({ length: 30 }, (_, index) => throttle.check(`c${index}`, 2000));
  expect(verdicts.filter((verdict) => verdict === 'relay')).toHaveLength(17);
  expect(verdicts.at(-1)).toBe('limited');
  // A new window starts after 10 s.
  expect(throttle.check('c29', 10_000)).toBe('relay');
});
