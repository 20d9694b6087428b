import { sql, type Transaction } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemError } from '../errors/problem';
import type { Metrics } from '../observability/metrics';
import { createTestDatabase, type TestDatabase } from '../testing/database';
import { metricValue, testObservability } from '../testing/observability';
import type { DB } from './schema';
import { isSerializationFailure, isUniqueViolation, withTransaction } from './transaction';

const noPostgres = !process.env.SC_TEST_DATABASE_URL;

/** Makes the database itself raise SQLSTATE 40001, as it does when it aborts a transaction. */
function raiseSerializationFailure(trx: Transaction<DB>) {
  return sql`do $$ begin raise exception using errcode = '40001', message = 'could not serialize'; end $$`.execute(
    trx,
  );
}

for (const kind of ['postgres', 'pglite'] as const) {
  describe.skipIf(kind === 'postgres' && noPostgres)(`withTransaction on ${kind}`, () => {
    let database: TestDatabase;
    let metrics: Metrics;

    beforeAll(async () => {
      ({ metrics } = testObservability());
      database = await createTestDatabase({ kind, metrics });
    });
    afterAll(() => database?.close());

    async function userCount(email: string): Promise<number> {
      const users = await database.db.selectFrom('users').select('id').where('email', '=', email).execute();
      return users.length;
    }

    it('commits the work and returns its result', async () => {
      const id = await withTransaction(database.db, async (trx) => {
        const user = await trx
          .insertInto('users')
          .values({ email: 'commit@example.test', display_name: 'Commit', updated_at: new Date() })
          .returning('id')
          .executeTakeFirstOrThrow();
        return user.id;
      });
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await userCount('commit@example.test')).toBe(1);
    });

    it('rolls back and rethrows any other error without retrying', async () => {
      const retriesBefore = await metricValue(metrics.dbTransactionRetriesTotal);
      let attempts = 0;
      const failure = new Error('not a database conflict');

      const outcome = withTransaction(
        database.db,
        async (trx) => {
          attempts++;
          await trx
            .insertInto('users')
            .values({ email: 'rollback@example.test', display_name: 'Rollback', updated_at: new Date() })
            .execute();
          throw failure;
        },
        { metrics },
      );

      await expect(outcome).rejects.toBe(failure);
      expect(attempts).toBe(1);
      expect(await userCount('rollback@example.test')).toBe(0);
      expect(await metricValue(metrics.dbTransactionRetriesTotal)).toBe(retriesBefore);
    });

    it('retries serialization failures, then answers 503 with Retry-After', async () => {
      const retriesBefore = await metricValue(metrics.dbTransactionRetriesTotal);
      let attempts = 0;

      const outcome = withTransaction(
        database.db,
        async (trx) => {
          attempts++;
          await raiseSerializationFailure(trx);
        },
        { maxAttempts: 3, metrics },
      );

      const error = await outcome.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(ProblemError);
      expect((error as ProblemError).status).toBe(503);
      expect((error as ProblemError).headers()['retry-after']).toBe('1');
      expect(isSerializationFailure((error as ProblemError).cause)).toBe(true);
      expect(attempts).toBe(3);
      expect(await metricValue(metrics.dbTransactionRetriesTotal)).toBe(retriesBefore + 2);
    });

    it('recognises unique violations by SQLSTATE and constraint', async () => {
      const insert = () =>
        database.db
          .insertInto('users')
          .values({ email: 'twice@example.test', display_name: 'Twice', updated_at: new Date() })
          .execute();
      await insert();
      const error = await insert().then(
        () => undefined,
        (reason: unknown) => reason,
      );

      expect(isUniqueViolation(error)).toBe(true);
      expect(isUniqueViolation(error, 'users_email_key')).toBe(true);
      expect(isUniqueViolation(error, 'users_pkey')).toBe(false);
      expect(isSerializationFailure(error)).toBe(false);
      expect(isUniqueViolation(new Error('duplicate'))).toBe(false);
    });
  });
}

describe.skipIf(noPostgres)('withTransaction against real contention on postgres', () => {
  let database: TestDatabase;
  let metrics: Metrics;

  beforeAll(async () => {
    ({ metrics } = testObservability());
    database = await createTestDatabase({ kind: 'postgres', metrics });
  });
  afterAll(() => database?.close());

  it('retries the loser of two conflicting SERIALIZABLE transactions until both apply exactly once', async () => {
    const { id } = await database.db
      .insertInto('users')
      .values({ display_name: 'Contended', updated_at: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow();
    const attempts = { first: 0, second: 0 };
    let readers = 0;
    let bothHaveRead = () => {};
    const barrier = new Promise<void>((resolve) => {
      bothHaveRead = resolve;
    });

    // Each reads the counter, waits (first attempt only) until the other has read it too, then
    // writes read + 1: a lost update unless the database aborts one of them with 40001.
    const increment = (writer: keyof typeof attempts) =>
      withTransaction(
        database.db,
        async (trx) => {
          attempts[writer]++;
          const { failed_login_count } = await trx
            .selectFrom('users')
            .select('failed_login_count')
            .where('id', '=', id)
            .executeTakeFirstOrThrow();
          if (attempts[writer] === 1) {
            if (++readers === 2) bothHaveRead();
            await barrier;
          }
          await trx
            .updateTable('users')
            .set({ failed_login_count: failed_login_count + 1 })
            .where('id', '=', id)
            .execute();
          await trx
            .insertInto('audit_log')
            .values({ event: writer, subject_id: id, details: '{}' })
            .execute();
        },
        { metrics },
      );

    await Promise.all([increment('first'), increment('second')]);

    const user = await database.db
      .selectFrom('users')
      .select('failed_login_count')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const events = await database.db
      .selectFrom('audit_log')
      .select('event')
      .where('subject_id', '=', id)
      .orderBy('event')
      .execute();
    expect(user.failed_login_count).toBe(2);
    expect(events.map((row) => row.event)).toEqual(['first', 'second']);
    expect(attempts.first + attempts.second).toBeGreaterThanOrEqual(3);
    expect(await metricValue(metrics.dbTransactionRetriesTotal)).toBe(attempts.first + attempts.second - 2);
  });
});
