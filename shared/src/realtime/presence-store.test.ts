import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../kv/memory-store';
import { RedisStore } from '../kv/redis-store';
import { testObservability } from '../testing/observability';
import { canStartRedisServer, startRedisServer, type TestRedisServer } from '../testing/redis';
import { KeyValuePresenceStore } from './key-value-presence-store';

describe('KeyValuePresenceStore', () => {
  it('reports asserted statuses, offline for everyone else, and offline after clear', async () => {
    const presence = new KeyValuePresenceStore(new MemoryStore(), { ttlSeconds: 60 });
    await presence.set('ann', 'online');
    await presence.set('bob', 'away');
    expect(await presence.get(['ann', 'bob', 'cid'])).toEqual({ ann: 'online', bob: 'away', cid: 'offline' });
    await presence.clear('ann');
    expect(await presence.get(['ann'])).toEqual({ ann: 'offline' });
    await presence.close();
  });

  it('lets a status nobody refreshes expire, and keeps one that is refreshed', async () => {
    const presence = new KeyValuePresenceStore(new MemoryStore(), { ttlSeconds: 0.3 });
    await presence.set('ann', 'online');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await presence.get(['ann'])).toEqual({ ann: 'offline' });
    await presence.refresh();
    expect(await presence.get(['ann'])).toEqual({ ann: 'online' });
    await presence.close();
  });
});

describe.skipIf(!canStartRedisServer)('KeyValuePresenceStore when Redis goes away', () => {
  let server: TestRedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is local during the outage and resyncs into Redis when it returns', async () => {
    const store = new RedisStore({
      url: server.url,
      keyPrefix: 'sc:p:',
      commandTimeoutMs: 300,
      ...testObservability(),
    });
    await store.started;
    const presence = new KeyValuePresenceStore(store, { ttlSeconds: 60, recoveryCheckMs: 50 });
    await presence.set('before', 'online');

    await server.stop();
    await presence.set('during', 'away');
    expect(await presence.get(['before', 'during'])).toEqual({ before: 'offline', during: 'away' });
    expect(store.degraded).toBe(true);

    await server.start();
    const raw = new Redis(server.url);
    try {
      // The restarted Redis came back empty; both assertions of this process are written again.
      await vi.waitFor(
        async () =>
          expect(await raw.mget('sc:p:presence:before', 'sc:p:presence:during')).toEqual(['online', 'away']),
        { timeout: 15_000, interval: 100 },
      );
      expect(await raw.pttl('sc:p:presence:during')).toBeGreaterThan(0);
    } finally {
      raw.disconnect();
      await presence.close();
      await store.close();
    }
  });
});
