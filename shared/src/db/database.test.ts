import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ProblemError } from '../errors/problem';
import type { Metrics } from '../observability/metrics';
import { createTestDatabase, type TestDatabase } from '../testing/database';
import { metricValue, testObservability } from '../testing/observability';
import { openDatabase } from './database';
import { migrateToLatest } from './migrator';
import { withTransaction } from './transaction';

const noPostgres = !process.env.SC_TEST_DATABASE_URL;

function newUser(displayName: string) {
  return { display_name: displayName, updated_at: new Date() };
}

/** A transaction that holds its connection until `release` is called. */
function holdConnection(database: TestDatabase) {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let holding = () => {};
  const held = new Promise<void>((resolve) => {
    holding = resolve;
  });
  const done = database.db.transaction().execute(async (trx) => {
    await sql`select 1`.execute(trx);
    holding();
    await released;
  });
  return { held, release, done };
}

for (const kind of ['postgres', 'pglite'] as const) {
  describe.skipIf(kind === 'postgres' && noPostgres)(`openDatabase on ${kind}`, () => {
    let database: TestDatabase;
    let metrics: Metrics;

    beforeAll(async () => {
      ({ metrics } = testObservability());
      database = await createTestDatabase({ kind, metrics });
    });
    afterAll(() => database?.close());

    it('answers ping and says which kind it is', async () => {
      await database.ping();
      expect(database.kind).toBe(kind);
    });

    it('observes query durations by outcome', async () => {
      const before = await metricValue(metrics.dbQueryDuration, { outcome: 'error' });
      await database.db.selectFrom('users').selectAll().execute();
      await expect(sql`select * from no_such_table`.execute(database.db)).rejects.toThrow();
      expect(await metricValue(metrics.dbQueryDuration, { outcome: 'ok' })).toBeGreaterThan(0);
      expect(await metricValue(metrics.dbQueryDuration, { outcome: 'error' })).toBe(before + 1);
    });

    it('exposes the pool gauges on scrape', async () => {
      await database.ping();
      const exposition = await metrics.registry.metrics();
      expect(exposition).toMatch(/^db_pool_connections_total [1-9]/m);
      expect(exposition).toMatch(/^db_pool_connections_idle [1-9]/m);
      expect(exposition).toMatch(/^db_pool_waiting_requests 0/m);
    });

    it('reports how many rows an update changed', async () => {
      const { id } = await database.db
        .insertInto('users')
        .values(newUser('Counted'))
        .returning('id')
        .executeTakeFirstOrThrow();
      const result = await database.db
        .updateTable('users')
        .set({ display_name: 'Counted again' })
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(result.numUpdatedRows).toBe(1n);
    });

    it('returns int8 values as strings, as pg does', async () => {
      const { rows } = await sql<{ total: unknown }>`select count(*) as total from users`.execute(
        database.db,
      );
      expect(typeof rows[0]?.total).toBe('string');
    });
  });

  describe.skipIf(kind === 'postgres' && noPostgres)(`an exhausted connection pool on ${kind}`, () => {
    let database: TestDatabase;
    let metrics: Metrics;

    beforeAll(async () => {
      ({ metrics } = testObservability());
      database = await createTestDatabase({ kind, metrics, poolMax: 1, acquireTimeoutMs: 500 });
    });
    afterAll(() => database?.close());

    it('answers 503 with Retry-After instead of hanging, and counts it', async () => {
      const holder = holdConnection(database);
      await holder.held;
      let holderFinished = false;
      void holder.done.then(() => {
        holderFinished = true;
      });

      const waiter = database.db.selectFrom('users').selectAll().execute();
      await vi.waitFor(async () => expect(await metricValue(metrics.dbPoolWaiting)).toBe(1), {
        interval: 5,
      });
      const error = await waiter.then(
        () => undefined,
        (reason: unknown) => reason,
      );

      expect(holderFinished).toBe(false);
      expect(error).toBeInstanceOf(ProblemError);
      expect((error as ProblemError).status).toBe(503);
      expect((error as ProblemError).headers()['retry-after']).toBe('1');
      expect(await metricValue(metrics.dbPoolAcquireTimeoutsTotal)).toBe(1);

      holder.release();
      await holder.done;
      await database.ping();
    });
  });
}

describe.skipIf(noPostgres)('statement timeout on postgres', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ kind: 'postgres', statementTimeoutMs: 200 });
  });
  afterAll(() => database?.close());

  it('cancels a statement that runs too long', async () => {
    await expect(sql`select pg_sleep(5)`.execute(database.db)).rejects.toMatchObject({ code: '57014' });
  });
});

describe('PGlite', () => {
  it('keeps its data across close and reopen of the same data directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sc-pglite-'));
    const options = { dataDir, poolMax: 1, acquireTimeoutMs: 5000, statementTimeoutMs: 5000 };
    try {
      const first = await openDatabase({ ...options, ...testObservability() });
      await migrateToLatest(first.db, testObservability().logger);
      await first.db.insertInto('users').values(newUser('Persistent')).execute();
      await first.close();

      const second = await openDatabase({ ...options, ...testObservability() });
      const users = await second.db.selectFrom('users').select('display_name').execute();
      await second.close();
      expect(users).toEqual([{ display_name: 'Persistent' }]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('runs concurrent transactions one after another, so none loses an update', async () => {
    const database = await createTestDatabase({ kind: 'pglite' });
    try {
      const { id } = await database.db
        .insertInto('users')
        .values(newUser('Contended'))
        .returning('id')
        .executeTakeFirstOrThrow();
      const increment = () =>
        withTransaction(database.db, async (trx) => {
          const { failed_login_count } = await trx
            .selectFrom('users')
            .select('failed_login_count')
            .where('id', '=', id)
            .executeTakeFirstOrThrow();
          // Give every other transaction the chance to interleave, were it possible.
          await new Promise((resolve) => setTimeout(resolve, 1));
          await trx
            .updateTable('users')
            .set({ failed_login_count: failed_login_count + 1 })
            .where('id', '=', id)
            .execute();
        });

      await Promise.all(Array.from({ length: 20 }, increment));

      const { failed_login_count } = await database.db
        .selectFrom('users')
        .select('failed_login_count')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(failed_login_count).toBe(20);
    } finally {
      await database.close();
    }
  });
});
