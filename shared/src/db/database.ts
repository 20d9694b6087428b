import { Kysely, sql } from 'kysely';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { createPGliteDialect } from './pglite';
import { collectPoolGauges } from './pool-gauges';
import { createPostgresDialect } from './postgres';
import type { DB } from './schema';

/** The relational store: PostgreSQL/CockroachDB when a URL is configured, else embedded PGlite. */
export interface Database {
  readonly db: Kysely<DB>;
  readonly kind: 'postgres' | 'pglite';
  /** Resolves when the database answers a trivial query; for readiness checks. */
  ping(): Promise<void>;
  /** Closes the pool (or PGlite) and detaches the pool gauges; call once in-flight work has drained. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** `postgres://…` for PostgreSQL or CockroachDB; without it, PGlite under `dataDir`. */
  url?: string;
  dataDir: string;
  poolMax: number;
  /** How long a query waits for a free connection before failing with 503. */
  acquireTimeoutMs: number;
  statementTimeoutMs: number;
  /** Named prepared statements on PostgreSQL/CockroachDB (DATABASE_PREPARED_STATEMENTS); default on. */
  preparedStatements?: boolean;
  logger: Logger;
  metrics: Metrics;
}

/**
 * Opens the configured database with query-duration and pool metrics wired in. Does not migrate;
 * call `migrateToLatest` for that.
 *
 * @example
 * const database = await openDatabase({
 *   url: config.DATABASE_URL,
 *   dataDir: config.DATA_DIR,
 *   poolMax: config.DB_POOL_MAX,
 *   acquireTimeoutMs: config.DB_POOL_ACQUIRE_TIMEOUT_MS,
 *   statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
 *   logger,
 *   metrics,
 * });
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const { metrics } = options;
  const kind = options.url ? 'postgres' : 'pglite';
  const { dialect, stats } = options.url
    ? createPostgresDialect({
        ...options,
        url: options.url,
        preparedStatements: options.preparedStatements ?? true,
      })
    : await createPGliteDialect(options);

  const db = new Kysely<DB>({
    dialect,
    log: (event) =>
      metrics.dbQueryDuration.observe(
        { outcome: event.level === 'query' ? 'ok' : 'error' },
        event.queryDurationMillis / 1000,
      ),
  });
  const detachGauges = collectPoolGauges(metrics, stats);
  options.logger.info({ kind }, 'database opened');

  return {
    db,
    kind,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      detachGauges();
      await db.destroy();
    },
  };
}
