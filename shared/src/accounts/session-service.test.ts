import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AccessTokenClaims } from '../auth/access-tokens';
import { createApp } from '../http/create-app';
import { defineFunction } from '../http/define-function';
import { listen, type RunningServer } from '../http/serve';
import type { KeyValueStore } from '../kv/key-value-store';
import { RedisStore } from '../kv/redis-store';
import { sessionRevocationChannel } from '../realtime/event-bus';
import { createTestDatabase, type TestDatabase } from '../testing/database';
import { testObservability } from '../testing/observability';
import { capturingPlatform } from '../testing/platform';
import { canStartRedisServer, startRedisServer, type TestRedisServer, testKeyPrefix } from '../testing/redis';
import { RedisRevocationFeed } from './revocation-feeds';
import { SessionService } from './session-service';

/** Reconnect backoff is capped at ~2 s; generous so a loaded machine does not fail the test. */
const RECOVERY_WAIT = { timeout: 15_000, interval: 50 };
const LOST = 'session revocations unreachable';
const HEARD_AGAIN = 'session revocations heard again';

const whoami = defineFunction({
  name: 'whoami',
  method: 'GET',
  path: '/v1/whoami',
  auth: 'user',
  summary: 'Needs a live session',
  tags: ['test'],
  uses: ['sql', 'kv', 'verify-key'],
  request: {},
  response: { status: 200, schema: undefined, description: 'ok' },
  handle: async () => undefined,
});

interface TestSession {
  token: string;
  claims: AccessTokenClaims;
}

/**
 * Two API processes, A and B, on one PostgreSQL database and a private Redis (so the tests may
 * kill its subscribers, forbid SUBSCRIBE, freeze it, and count its commands exactly). B also
 * serves HTTP: "the next request" reaches it over a socket, as it would in production.
 */
describe.skipIf(!canStartRedisServer || !process.env.SC_TEST_DATABASE_URL)(
  'Session verdicts in process memory, kept by revocation announcements',
  () => {
    let redis: TestRedisServer;
    let database: TestDatabase;
    let dataDir: string;
    let admin: Redis;
    const keyPrefix = testKeyPrefix();
    let a: ReturnType<typeof capturingPlatform>;
    let b: ReturnType<typeof capturingPlatform>;
    let bServer: RunningServer;

    const openProcess = () =>
      capturingPlatform({
        DATABASE_URL: database.url!,
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: keyPrefix,
        DATA_DIR: dataDir,
      });

    /** GETs Redis has run so far, all clients together. */
    const redisGets = async () =>
      Number(/cmdstat_get:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);

    const statusFromB = async (token: string) =>
      (
        await fetch(`http://127.0.0.1:${bServer.port}/v1/whoami`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).status;

    /** A session opened in A, for a new user or for `userId`. */
    async function openSession(userId?: string): Promise<TestSession> {
      const { db } = await a.platform.database();
      const user = userId
        ? { id: userId }
        : await db
            .insertInto('users')
            .values({ display_name: 'Test', updated_at: new Date() })
            .returning('id')
            .executeTakeFirstOrThrow();
      const pair = await (await a.platform.sessions()).open(
        { id: user.id, role: 'user' },
        { ip: '127.0.0.1', userAgent: 'test' },
      );
      return {
        token: pair.accessToken,
        claims: await (await a.platform.accessTokens()).verify(pair.accessToken),
      };
    }

    /** After a resubscription B asks Redis once for a live session, then answers from memory again. */
    async function expectRelearned(token: string): Promise<void> {
      let before = await redisGets();
      await b.platform.authenticate(token);
      expect(await redisGets()).toBe(before + 1);
      before = await redisGets();
      await b.platform.authenticate(token);
      expect(await redisGets()).toBe(before);
    }

    const refused = (verifying: Promise<unknown>) => expect(verifying).rejects.toMatchObject({ status: 401 });
    const logged = (process: { lines: Record<string, unknown>[] }, text: string) =>
      process.lines.filter((line) => String(line.msg).startsWith(text)).length;

    beforeAll(async () => {
      [redis, database, dataDir] = await Promise.all([
        startRedisServer(),
        createTestDatabase(),
        mkdtemp(join(tmpdir(), 'sc-sessions-')),
      ]);
      admin = new Redis(redis.url);
      a = openProcess();
      await a.platform.sessions();
      b = openProcess();
      await b.platform.sessions();
      bServer = await listen(createApp({ platform: b.platform, functions: [whoami] }), b.platform, {
        port: 0,
        host: '127.0.0.1',
      });
    });

    afterAll(async () => {
      await bServer?.close();
      await a?.platform.close();
      admin?.disconnect();
      await redis?.stop();
      await database?.close();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it('verifies a live session from memory after its first lookup: no Redis GET', async () => {
      const { token } = await openSession();
      /** What b's /metrics says about where its verdicts came from. */
      const verdictSources = async () =>
        Object.fromEntries(
          (await b.platform.metrics.sessionVerdictsTotal.get()).values.map(({ labels, value }) => [
            labels.source,
            value,
          ]),
        );
      const sources = await verdictSources();

      let before = await redisGets();
      await b.platform.authenticate(token);
      expect(await redisGets()).toBe(before + 1);

      before = await redisGets();
      for (let request = 0; request < 20; request++) await b.platform.authenticate(token);
      expect(await redisGets()).toBe(before);
      // The first lookup asked Redis (a miss: nothing caches a session as it opens), then SQL.
      expect(await verdictSources()).toMatchObject({
        sql: (sources.sql ?? 0) + 1,
        memory: (sources.memory ?? 0) + 20,
      });
    });

    it('refuses, in another process that had it cached, the next request after a logout', async () => {
      const { token, claims } = await openSession();
      expect(await statusFromB(token)).toBe(200);
      const before = await redisGets();
      expect(await statusFromB(token)).toBe(200);

      await (await a.platform.sessions()).revoke(claims, 'logout');
      expect(await statusFromB(token)).toBe(401);
      // The cached 200 and the 401 both came from B's memory: the announcement, not Redis.
      expect(await redisGets()).toBe(before);
    });

    it('refuses every session that revokeAll ended, sparing the one it was told to', async () => {
      const first = await openSession();
      const { userId } = first.claims;
      const second = await openSession(userId);
      const kept = await openSession(userId);
      for (const { token } of [first, second, kept]) expect(await statusFromB(token)).toBe(200);
      const before = await redisGets();
      const sessions = await a.platform.sessions();

      expect(await sessions.revokeAll(userId, 'password-changed', kept.claims.sessionId)).toBe(2);
      expect(await statusFromB(first.token)).toBe(401);
      expect(await statusFromB(second.token)).toBe(401);
      expect(await statusFromB(kept.token)).toBe(200);

      // Everything: the gateways hear `user-revoked`, B's memory the session left.
      expect(await sessions.revokeAll(userId, 'password-reset')).toBe(1);
      expect(await statusFromB(kept.token)).toBe(401);
      expect(await redisGets()).toBe(before);
    });

    it('does not answer from memory without its subscription, and honours a revocation it missed', async () => {
      const gone = await openSession();
      const live = await openSession();
      for (const { token } of [gone, live, gone, live]) await b.platform.authenticate(token);
      const lost = logged(b, LOST);
      const heardAgain = logged(b, HEARD_AGAIN);

      // Kill every subscriber and keep them from subscribing again until the revocation is out.
      await admin.call('ACL', 'SETUSER', 'default', '-subscribe');
      try {
        await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
        await vi.waitFor(() => expect(logged(b, LOST)).toBe(lost + 1), RECOVERY_WAIT);

        for (let request = 0; request < 2; request++) {
          const before = await redisGets();
          await b.platform.authenticate(live.token);
          expect(await redisGets()).toBe(before + 1);
        }
        await (await a.platform.sessions()).revoke(gone.claims, 'logout');
      } finally {
        await admin.call('ACL', 'SETUSER', 'default', '+subscribe');
      }

      await vi.waitFor(() => expect(logged(b, HEARD_AGAIN)).toBe(heardAgain + 1), RECOVERY_WAIT);
      await refused(b.platform.authenticate(gone.token));
      // What B learnt before resubscribing was dropped; then memory answers again.
      await expectRelearned(live.token);
    });

    it('does not store an active verdict read before a revocation announced while the lookup ran', async () => {
      const stale = await openSession();
      const { userId } = stale.claims;
      const witness = await openSession(userId);
      // Redis now holds 'active' for `stale`, which the held lookup will read.
      await a.platform.authenticate(stale.token);

      // Process C: B's stores and a feed of its own, with a key-value port that holds one read.
      const store = await b.platform.keyValueStore();
      if (!(store instanceof RedisStore)) throw new Error('the tests run on Redis');
      const held = holdingReads(store, `session:${stale.claims.sessionId}`);
      const revocations = new RedisRevocationFeed({
        client: store.client,
        keyPrefix,
        commandTimeoutMs: b.platform.config.REDIS_COMMAND_TIMEOUT_MS,
        logger: testObservability().logger,
      });
      await revocations.started;
      const c = new SessionService({
        db: (await b.platform.database()).db,
        store: held.store,
        tokens: await b.platform.accessTokens(),
        refreshTtlSeconds: b.platform.config.REFRESH_TOKEN_TTL_SECONDS,
        ...testObservability(),
        events: await b.platform.eventBus(),
        revocations,
      });
      try {
        await c.assertActive(witness.claims);
        const inFlight = c.assertActive(stale.claims);
        await held.read;

        await (await a.platform.sessions()).revokeAll(userId, 'password-reset');
        // The witness's cached verdict turning to 401 shows C heard the announcement.
        await vi.waitFor(() => refused(c.assertActive(witness.claims)));
        held.release();
        // It began before the revocation, so its answer stands; it must not be remembered.
        await expect(inFlight).resolves.toBeUndefined();
        await refused(c.assertActive(stale.claims));
      } finally {
        held.release();
        await revocations.close();
      }
    });

    it('stops vouching from memory while Redis hangs, and honours a revocation made meanwhile', async () => {
      const gone = await openSession();
      const live = await openSession();
      for (const { token } of [gone, live, gone, live]) await b.platform.authenticate(token);
      const heardAgain = logged(b, HEARD_AGAIN);

      redis.pause();
      try {
        // SQL commits; the key-value write and the announcement time out (the bus replays it later).
        await (await a.platform.sessions()).revoke(gone.claims, 'logout');
        await refused(b.platform.authenticate(gone.token));
      } finally {
        redis.resume();
      }

      const store = await b.platform.keyValueStore();
      await vi.waitFor(() => {
        expect(logged(b, HEARD_AGAIN)).toBe(heardAgain + 1);
        expect(store.degraded).toBe(false);
      }, RECOVERY_WAIT);
      await expectRelearned(live.token);
    });

    it('closes its subscription with the platform', async () => {
      const subscribers = async () => {
        const reply = (await admin.call('PUBSUB', 'NUMSUB', keyPrefix + sessionRevocationChannel)) as [
          string,
          number,
        ];
        return reply[1];
      };
      const before = await subscribers();
      const d = openProcess();
      await d.platform.sessions();
      expect(await subscribers()).toBe(before + 1);
      await d.platform.close();
      await vi.waitFor(async () => expect(await subscribers()).toBe(before));
    });

    it('without Redis, keeps verdicts through the in-process bus', async () => {
      const embedded = capturingPlatform({ DATABASE_URL: database.url!, DATA_DIR: dataDir });
      try {
        const { token, claims } = await openSession();
        await embedded.platform.authenticate(token);
        await embedded.platform.authenticate(token);
        await (await embedded.platform.sessions()).revoke(claims, 'logout');
        await refused(embedded.platform.authenticate(token));
      } finally {
        await embedded.platform.close();
      }
    });
  },
);

/** The key-value store, except that the read of `key` answers only once released. */
function holdingReads(store: KeyValueStore, key: string) {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let markRead = () => {};
  const read = new Promise<void>((resolve) => {
    markRead = resolve;
  });
  const held: KeyValueStore = {
    get: async (requested) => {
      const value = await store.get(requested);
      if (requested === key) {
        markRead();
        await released;
      }
      return value;
    },
    set: (...args) => store.set(...args),
    delete: (requested) => store.delete(requested),
    increment: (requested, ttlSeconds) => store.increment(requested, ttlSeconds),
    get degraded() {
      return store.degraded;
    },
    ping: () => store.ping(),
    close: async () => {},
  };
  return { store: held, read, release };
}
