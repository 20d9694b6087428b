import {
  DEFAULT_MIGRATION_LOCK_TABLE,
  type Kysely,
  MIGRATION_LOCK_ID,
  type MigrationResult,
  Migrator,
  sql,
} from 'kysely';
import type { Logger } from '../observability/logger';
import { migrations } from './migrations/index';
import { retryOnSerializationFailure } from './transaction';

/** Rewriting a big table, or waiting for another starter's migrations, outlasts a request's statement timeout. */
const MIGRATION_STATEMENT_TIMEOUT_MS = 15 * 60 * 1000;

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the schema they create exists.
type AnyDatabase = Kysely<any>;

/**
 * Kysely's lock table and row, created the way Kysely's Migrator would, but before the
 * migration transaction so that concurrent starters can all lock the same existing row.
 */
async function ensureLockRow(db: AnyDatabase): Promise<void> {
  const createTable = () =>
    db.schema
      .createTable(DEFAULT_MIGRATION_LOCK_TABLE)
      .ifNotExists()
      .addColumn('id', 'varchar(255)', (col) => col.notNull().primaryKey())
      .addColumn('is_locked', 'integer', (col) => col.notNull().defaultTo(0))
      .execute();
  // Two concurrent `create table if not exists` can still collide in PostgreSQL's catalog; the
  // loser fails only once the winner has committed, so its second try finds the table.
  await createTable().catch(createTable);
  await db
    .insertInto(DEFAULT_MIGRATION_LOCK_TABLE)
    .values({ id: MIGRATION_LOCK_ID, is_locked: 0 })
    .onConflict((conflict) => conflict.column('id').doNothing())
    .execute();
}

/**
 * One transaction on one session: lock the row, let Kysely's Migrator bring the schema up to
 * date (it must not open a transaction of its own), commit. A concurrent starter blocks on the
 * row until this commits, then finds nothing left to do.
 */
async function migrateHoldingLock(session: AnyDatabase): Promise<MigrationResult[]> {
  await sql`begin`.execute(session);
  try {
    await sql`set local statement_timeout = ${sql.lit(MIGRATION_STATEMENT_TIMEOUT_MS)}`.execute(session);
    await session
      .selectFrom(DEFAULT_MIGRATION_LOCK_TABLE)
      .select('id')
      .where('id', '=', MIGRATION_LOCK_ID)
      .forUpdate()
      .execute();
    const migrator = new Migrator({
      db: session,
      provider: { getMigrations: async () => migrations },
      disableTransactions: true,
    });
    const { error, results = [] } = await migrator.migrateToLatest();
    if (error) throw error;
    await sql`commit`.execute(session);
    return results;
  } catch (error) {
    // The session may already be gone; the original error is the one worth reporting.
    await sql`rollback`.execute(session).catch(() => undefined);
    throw error;
  }
}

/**
 * Applies every pending migration from `migrations/index.ts`, all or none. Safe when several
 * processes start at once against one database: they take turns on a row lock (portable to
 * CockroachDB, unlike Kysely's default advisory lock) and the later ones find nothing to do.
 */
export async function migrateToLatest(db: AnyDatabase, logger: Logger): Promise<void> {
  await ensureLockRow(db);
  const results = await retryOnSerializationFailure(() =>
    db.connection().execute((session) => migrateHoldingLock(session)),
  );
  for (const result of results) {
    logger.info({ migration: result.migrationName, direction: result.direction }, 'migration applied');
  }
  if (results.length === 0) logger.debug('database schema is up to date');
}
