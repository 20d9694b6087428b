import { randomUUID } from 'node:crypto';
import type { Client } from 'cassandra-driver';
import type { Logger } from '../../observability/logger';
import { CQL_MIGRATIONS, type CqlMigration } from './migrations';

const LOCAL_QUORUM = 0x06;
const LOCAL_SERIAL = 0x09;
/** A row of schema_migrations that is not a version: the lock starters take turns on. */
const LOCK_ROW = '~lock';
/** The lock expires by itself should its holder die mid-migration. */
const LOCK_TTL_SECONDS = 120;
const LOCK_WAIT_MS = 3 * 60 * 1000;
/** Schema changes outlast ordinary queries' read timeout. */
const DDL_TIMEOUT_MS = 60_000;

const IDENTIFIER = /^[a-z][a-z0-9_]{0,47}$/;

/** The driver's code for an InvalidRequest answer (types.responseErrorCodes.invalid). */
const INVALID_REQUEST = 0x2200;
/** `ALTER TABLE <ks>.<table> ADD <column> <type>`, capturing the column. */
const ADD_COLUMN = /^ALTER TABLE \w+\.\w+ ADD (\w+) /;

export interface MigrateCassandraOptions {
  /** The data centre the keyspace replicates to (CASSANDRA_LOCAL_DC). */
  localDataCenter: string;
  logger?: Logger;
  /** Default: every migration of ./migrations. */
  migrations?: CqlMigration[];
}

/**
 * The keyspace's replication: NetworkTopologyStrategy with `replicationFactor` replicas in the
 * local data centre. Chosen over SimpleStrategy because it is what production clusters use, it
 * keeps replicas on distinct racks, LOCAL_QUORUM/LOCAL_SERIAL are defined per data centre, and a
 * second data centre can be added later by ALTER KEYSPACE (SimpleStrategy would need a
 * strategy change and a full repair). A wrong CASSANDRA_LOCAL_DC cannot silently create a
 * keyspace with no replicas where we are: the driver refuses to connect when the name matches no
 * data centre of the cluster.
 */
export function keyspaceStatement(
  keyspace: string,
  localDataCenter: string,
  replicationFactor: number,
): string {
  assertIdentifier(keyspace, 'keyspace');
  if (!/^[A-Za-z0-9_.-]+$/.test(localDataCenter)) {
    throw new Error(`CASSANDRA_LOCAL_DC: not a data centre name: ${JSON.stringify(localDataCenter)}`);
  }
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
    throw new Error(`CASSANDRA_REPLICATION_FACTOR: must be a positive integer, got ${replicationFactor}`);
  }
  return (
    `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ` +
    `{'class': 'NetworkTopologyStrategy', '${localDataCenter}': ${replicationFactor}} AND durable_writes = true`
  );
}

export function schemaMigrationsStatement(keyspace: string): string {
  assertIdentifier(keyspace, 'keyspace');
  return `CREATE TABLE IF NOT EXISTS ${keyspace}.schema_migrations (
    version text PRIMARY KEY,
    applied_at timestamp,
    owner uuid
  )`;
}

function assertIdentifier(name: string, what: string): void {
  if (!IDENTIFIER.test(name)) throw new Error(`Not a valid CQL ${what} name: ${JSON.stringify(name)}`);
}

/**
 * Whether `error` is Cassandra refusing to add the column `statement` adds because it is there
 * already: an earlier run applied the statement but was interrupted before recording its
 * migration (`ADD IF NOT EXISTS` parses only from Cassandra 4.1 on). Cassandra 3.x and 4.0+ word
 * the refusal differently; any other InvalidRequest stays an error.
 */
export function columnAlreadyAdded(statement: string, error: unknown): boolean {
  const column = ADD_COLUMN.exec(statement)?.[1];
  if (column === undefined || !(error instanceof Error)) return false;
  return (
    (error as { code?: unknown }).code === INVALID_REQUEST &&
    (error.message.includes(`name ${column} because it conflicts with an existing column`) ||
      error.message.includes(`Column with name '${column}' already exists`))
  );
}

async function runStatement(client: Client, statement: string, options: { readTimeout: number }) {
  try {
    await client.execute(statement, [], options);
  } catch (error) {
    if (!columnAlreadyAdded(statement, error)) throw error;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates the keyspace and every table the MessageStore needs, idempotently, and records each
 * applied migration in `<keyspace>.schema_migrations`. Safe when several processes start at once:
 * they take turns on a lightweight-transaction lock row (which expires should its holder die),
 * and the later ones find nothing left to do. The driver waits for schema agreement after each
 * DDL statement (protocolOptions.maxSchemaAgreementWaitSeconds).
 *
 * @example
 * await migrateCassandra(client, config.CASSANDRA_KEYSPACE, config.CASSANDRA_REPLICATION_FACTOR, {
 *   localDataCenter: config.CASSANDRA_LOCAL_DC,
 *   logger,
 * });
 */
export async function migrateCassandra(
  client: Client,
  keyspace: string,
  replicationFactor: number,
  options: MigrateCassandraOptions,
): Promise<string[]> {
  const { logger, migrations = CQL_MIGRATIONS } = options;
  const ddl = { readTimeout: DDL_TIMEOUT_MS };
  const localHosts = client.hosts
    .values()
    .filter((host) => host.datacenter === options.localDataCenter).length;
  if (localHosts > 0 && replicationFactor > localHosts) {
    logger?.warn(
      { replicationFactor, localHosts, dataCenter: options.localDataCenter },
      'CASSANDRA_REPLICATION_FACTOR exceeds the nodes of the local data centre: LOCAL_QUORUM will fail until nodes join',
    );
  }

  await client.execute(keyspaceStatement(keyspace, options.localDataCenter, replicationFactor), [], ddl);
  await client.execute(schemaMigrationsStatement(keyspace), [], ddl);

  const applied = async () => {
    const result = await client.execute(`SELECT version FROM ${keyspace}.schema_migrations`, [], {
      consistency: LOCAL_QUORUM,
      readTimeout: DDL_TIMEOUT_MS,
    });
    return new Set(
      result.rows.map((row) => String(row.get('version'))).filter((version) => version !== LOCK_ROW),
    );
  };
  const pending = (done: Set<string>) =>
    [...migrations].sort((a, b) => a.version.localeCompare(b.version)).filter((m) => !done.has(m.version));

  if (pending(await applied()).length === 0) {
    logger?.debug({ keyspace }, 'cassandra schema is up to date');
    return [];
  }

  const owner = randomUUID();
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const lock = await client.execute(
      `INSERT INTO ${keyspace}.schema_migrations (version, applied_at, owner) VALUES (?, ?, ?) IF NOT EXISTS USING TTL ${LOCK_TTL_SECONDS}`,
      [LOCK_ROW, new Date(), owner],
      {
        prepare: true,
        consistency: LOCAL_QUORUM,
        serialConsistency: LOCAL_SERIAL,
        readTimeout: DDL_TIMEOUT_MS,
      },
    );
    if (lock.wasApplied()) break;
    if (pending(await applied()).length === 0) return [];
    if (Date.now() > deadline) {
      throw new Error(
        `Cassandra migrations: another process has held the migration lock of ${keyspace} too long`,
      );
    }
    await sleep(500);
  }

  const ran: string[] = [];
  try {
    for (const migration of pending(await applied())) {
      for (const statement of migration.statements(keyspace)) await runStatement(client, statement, ddl);
      await client.execute(
        `INSERT INTO ${keyspace}.schema_migrations (version, applied_at) VALUES (?, ?)`,
        [migration.version, new Date()],
        { prepare: true, consistency: LOCAL_QUORUM, readTimeout: DDL_TIMEOUT_MS },
      );
      ran.push(migration.version);
      logger?.info({ keyspace, migration: migration.version }, 'cassandra migration applied');
    }
  } finally {
    await client
      .execute(
        `DELETE FROM ${keyspace}.schema_migrations WHERE version = ? IF owner = ?`,
        [LOCK_ROW, owner],
        {
          prepare: true,
          consistency: LOCAL_QUORUM,
          serialConsistency: LOCAL_SERIAL,
          readTimeout: DDL_TIMEOUT_MS,
        },
      )
      .catch((error: unknown) =>
        logger?.warn({ err: error }, 'releasing the cassandra migration lock failed'),
      );
  }
  return ran;
}
