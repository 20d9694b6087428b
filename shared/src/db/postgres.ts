import { PostgresDriver } from 'kysely';
import pg from 'pg';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { connectionAcquireTimedOut } from './acquire-timeout';
import { postgresDialect } from './dialect';
import type { PoolStats } from './pool-gauges';
import { PreparedStatements } from './prepared-statements';

export interface PostgresPoolOptions {
  url: string;
  poolMax: number;
  acquireTimeoutMs: number;
  statementTimeoutMs: number;
  /** Run Kysely's queries as named prepared statements (see {@link PreparedStatements}). */
  preparedStatements: boolean;
  logger: Logger;
  metrics: Metrics;
}

/** pg-pool's messages for "no connection within connectionTimeoutMillis": queued, or connecting. */
const ACQUIRE_TIMEOUT_MESSAGES = new Set([
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
]);

/**
 * A bounded pg.Pool behind Kysely's PostgreSQL dialect. Every connection carries the statement
 * timeout; a caller that cannot get a connection within the acquire timeout gets a 503.
 */
export function createPostgresDialect(options: PostgresPoolOptions) {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    connectionTimeoutMillis: options.acquireTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    application_name: 'secureconnect',
  });
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  pool.on('error', (error) => options.logger.warn({ err: error }, 'idle database connection failed'));
  const statements = options.preparedStatements ? new PreparedStatements() : undefined;

  const dialect = postgresDialect(
    () =>
      new PostgresDriver({
        pool: {
          connect: async () => {
            const client = await pool.connect().catch((error: unknown) => {
              if (error instanceof Error && ACQUIRE_TIMEOUT_MESSAGES.has(error.message)) {
                throw connectionAcquireTimedOut(options.metrics, error);
              }
              throw error;
            });
            return statements ? statements.wrap(client) : client;
          },
          end: () => pool.end(),
        },
      }),
  );
  const stats = (): PoolStats => ({
    total: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
  });
  return { dialect, stats };
}
