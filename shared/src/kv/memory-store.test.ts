import { describe, expect, it, vi } from 'vitest';
import { describeKeyValueStoreContract } from './key-value-store.contract';
import { MemoryStore } from './memory-store';

describeKeyValueStoreContract('MemoryStore', async () => new MemoryStore());

describe('MemoryStore housekeeping', () => {
  it('sweeps expired entries nobody reads again', async () => {
    vi.useFakeTimers();
    try {
      const store = new MemoryStore({ sweepIntervalMs: 1000 });
      await store.set('a', '1', { ttlSeconds: 0.5 });
      await store.set('b', '2');
      vi.advanceTimersByTime(1000);
      // The private map is the only place an unread expired entry can be observed.
      const entries = (store as unknown as { entries: Map<string, unknown> }).entries;
      expect([...entries.keys()]).toEqual(['b']);
      await store.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
