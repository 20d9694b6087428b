import type { Kysely } from 'kysely';
import type { Config } from '../config/env';
import type { DB } from '../db/schema';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { MessageStore } from './message-store';

export interface OpenMessageStoreOptions {
  config: Pick<
    Config,
    | 'CASSANDRA_CONTACT_POINTS'
    | 'CASSANDRA_LOCAL_DC'
    | 'CASSANDRA_KEYSPACE'
    | 'CASSANDRA_USERNAME'
    | 'CASSANDRA_PASSWORD'
    | 'CASSANDRA_REPLICATION_FACTOR'
    | 'CASSANDRA_READ_TIMEOUT_MS'
  >;
  /** The relational database, already migrated: the SQL store's tables come with migration 0003. */
  db: Kysely<DB>;
  logger: Logger;
  metrics: Metrics;
}

/**
 * The process's MessageStore: Cassandra when CASSANDRA_CONTACT_POINTS is set (its keyspace and
 * tables are created first), else the SQL store on the relational database. Each adapter is
 * imported only when chosen, so a process on SQL never loads cassandra-driver (SPEC §3).
 *
 * @example
 * const store = await openMessageStore({ config, db: database.db, logger, metrics });
 */
export async function openMessageStore({
  config,
  db,
  logger,
  metrics,
}: OpenMessageStoreOptions): Promise<MessageStore> {
  if (config.CASSANDRA_CONTACT_POINTS.length > 0) {
    const { openCassandraMessageStore } = await import('./cassandra-message-store');
    return openCassandraMessageStore({ config, logger, metrics });
  }
  const { SqlMessageStore } = await import('./sql-message-store');
  logger.info('message store: SQL (CASSANDRA_CONTACT_POINTS not set)');
  return new SqlMessageStore({ db, metrics });
}
