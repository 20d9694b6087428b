import {
  DEFAULT_MIGRATION_LOCK_TABLE,
  DEFAULT_MIGRATION_TABLE,
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

/** Migrations the database records as applied that this release does not know. */
export class DatabaseAheadError extends Error {}

/**
 * What the database has applied that this release does not ship. After a rollback to the previous
 * release the newer release's migrations are there: Kysely's Migrator would refuse to start
 * ("corrupted migrations"), yet migrations only ever add (docs/operations/upgrades.md), so an older
 * release runs on the newer schema as long as it finds every migration of its own applied.
 */
async function unknownAppliedMigrations(session: AnyDatabase): Promise<string[]> {
  const tables = await session.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((table) => table.name === DEFAULT_MIGRATION_TABLE)) return [];
  const rows = await session.selectFrom(DEFAULT_MIGRATION_TABLE).select('name').execute();
  return rows.map((row) => row.name as string).filter((name) => !(name in migrations));
}

async function pendingMigrations(session: AnyDatabase): Promise<string[]> {
  const rows = await session.selectFrom(DEFAULT_MIGRATION_TABLE).select('name').execute();
  const applied = new Set(rows.map((row) => row.name as string));
  return Object.keys(migrations).filter((name) => !applied.has(name));
}

/**
 * One transaction on one session: lock the row, let Kysely's Migrator bring the schema up to
 * date (it must not open a transaction of its own), commit. A concurrent starter blocks on the
 * row until this commits, then finds nothing left to do. A database ahead of this release is left
 * as it is (`ahead` lists what this release does not know) when every migration of this release
 * is applied, and refused otherwise: the two releases' histories then diverge.
 */
async function migrateHoldingLock(
  session: AnyDatabase,
): Promise<{ results: MigrationResult[]; ahead: string[] }> {
  await sql`begin`.execute(session);
  try {
    await sql`set local statement_timeout = ${sql.lit(MIGRATION_STATEMENT_TIMEOUT_MS)}`.execute(session);
    await session
      .selectFrom(DEFAULT_MIGRATION_LOCK_TABLE)
      .select('id')
      .where('id', '=', MIGRATION_LOCK_ID)
      .forUpdate()
      .execute();
    const ahead = await unknownAppliedMigrations(session);
    if (ahead.length > 0) {
      const pending = await pendingMigrations(session);
      if (pending.length > 0) {
        throw new DatabaseAheadError(
          `the database has migrations this release does not know (${ahead.join(', ')}) and lacks some it needs (${pending.join(', ')})`,
        );
      }
      await sql`commit`.execute(session);
      return { results: [], ahead };
    }
    const migrator = new Migrator({
      db: session,
      provider: { getMigrations: async () => migrations },
      disableTransactions: true,
    });
    const { error, results = [] } = await migrator.migrateToLatest();
    if (error) throw error;
    await sql`commit`.execute(session);
    return { results, ahead: [] };
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
  const { results, ahead } = await retryOnSerializationFailure(() =>
    db.connection().execute((session) => migrateHoldingLock(session)),
  );
  for (const result of results) {
    logger.info({ migration: result.migrationName, direction: result.direction }, 'migration applied');
  }
  if (ahead.length > 0) {
    logger.warn({ migrations: ahead }, 'database schema is ahead of this release; running on it unchanged');
  } else if (results.length === 0) {
    logger.debug('database schema is up to date');
  }
}
