import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KeyValueStore } from './key-value-store';

/** Expiry is real time; this bounds how long a test waits for a short TTL to lapse. */
const EXPIRY_WAIT = { timeout: 5000, interval: 50 };
const SHORT_TTL_SECONDS = 0.2;

/**
 * The behaviour every {@link KeyValueStore} owes its callers, run by each implementation's test
 * file so the adapters cannot drift apart.
 */
export function describeKeyValueStoreContract(name: string, open: () => Promise<KeyValueStore>): void {
  describe(`${name} (KeyValueStore contract)`, () => {
    let store: KeyValueStore;
    const key = () => `contract:${randomUUID()}`;

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('answers null for a key never written', async () => {
      expect(await store.get(key())).toBeNull();
    });

    it('reads back what it wrote, and the last write wins', async () => {
      const k = key();
      expect(await store.set(k, 'first')).toBe(true);
      expect(await store.get(k)).toBe('first');
      expect(await store.set(k, 'second')).toBe(true);
      expect(await store.get(k)).toBe('second');
    });

    it('forgets a key once its TTL has passed', async () => {
      const k = key();
      await store.set(k, 'v', { ttlSeconds: SHORT_TTL_SECONDS });
      expect(await store.get(k)).toBe('v');
      await vi.waitFor(async () => expect(await store.get(k)).toBeNull(), EXPIRY_WAIT);
    });

    it('writes onlyIfAbsent only when the key is absent, deleted or expired', async () => {
      const k = key();
      expect(await store.set(k, 'owner', { onlyIfAbsent: true })).toBe(true);
      expect(await store.set(k, 'intruder', { onlyIfAbsent: true })).toBe(false);
      expect(await store.get(k)).toBe('owner');

      await store.delete(k);
      expect(await store.set(k, 'next', { onlyIfAbsent: true, ttlSeconds: SHORT_TTL_SECONDS })).toBe(true);
      await vi.waitFor(async () => expect(await store.get(k)).toBeNull(), EXPIRY_WAIT);
      expect(await store.set(k, 'after-expiry', { onlyIfAbsent: true })).toBe(true);
    });

    it('increments from one and starts again after the window expires', async () => {
      const k = key();
      expect(await store.increment(k, SHORT_TTL_SECONDS)).toBe(1);
      expect(await store.increment(k, SHORT_TTL_SECONDS)).toBe(2);
      expect(await store.increment(k, SHORT_TTL_SECONDS)).toBe(3);
      expect(await store.get(k)).toBe('3');
      await vi.waitFor(async () => expect(await store.get(k)).toBeNull(), EXPIRY_WAIT);
      expect(await store.increment(k, SHORT_TTL_SECONDS)).toBe(1);
    });

    it('gives a counter written without expiry one on its next increment', async () => {
      const k = key();
      await store.set(k, '41');
      expect(await store.increment(k, SHORT_TTL_SECONDS)).toBe(42);
      await vi.waitFor(async () => expect(await store.get(k)).toBeNull(), EXPIRY_WAIT);
    });

    it('refuses to increment a value that is not an integer', async () => {
      const k = key();
      await store.set(k, 'not a number');
      await expect(store.increment(k, 60)).rejects.toThrow();
      expect(await store.get(k)).toBe('not a number');
    });

    it('deletes a key, and deleting a missing key is fine', async () => {
      const k = key();
      await store.set(k, 'v');
      await store.delete(k);
      expect(await store.get(k)).toBeNull();
      await expect(store.delete(k)).resolves.toBeUndefined();
    });

    it('refuses a TTL that is not positive', async () => {
      await expect(store.set(key(), 'v', { ttlSeconds: 0 })).rejects.toThrow(RangeError);
      await expect(store.increment(key(), -1)).rejects.toThrow(RangeError);
    });

    it('is healthy and not degraded', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      expect(store.degraded).toBe(false);
    });
  });
}
