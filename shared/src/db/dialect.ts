import {
  type Dialect,
  type Driver,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';

/**
 * Kysely's stock PostgreSQL adapter takes the migration lock with `pg_advisory_lock`, which
 * CockroachDB does not implement (SPEC §7 forbids advisory locks anyway). `migrateToLatest`
 * takes a portable row lock itself instead — `SELECT … FOR UPDATE` on Kysely's lock-table row,
 * inside the transaction that runs the migrations — so these hooks have nothing left to do.
 * They cannot take that lock themselves: Kysely 0.28 calls them on the bare session, outside
 * any transaction, where a row lock ends with its own statement.
 */
class RowLockMigrationAdapter extends PostgresAdapter {
  override async acquireMigrationLock(): Promise<void> {}

  override async releaseMigrationLock(): Promise<void> {}
}

/** Kysely's PostgreSQL dialect around `createDriver`, for PostgreSQL, CockroachDB and PGlite alike. */
export function postgresDialect(createDriver: () => Driver): Dialect {
  return {
    createDriver,
    createAdapter: () => new RowLockMigrationAdapter(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}
