import { randomBytes } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, testObservability } from '../testing/observability';
import {
  bucketEnd,
  bucketOf,
  bucketsBetween,
  buildStatements,
  type CassandraConfig,
  type CassandraMessageStore,
  cellTimestamp,
  createCassandraClient,
  openCassandraMessageStore,
  TOMBSTONE_TIMESTAMP,
} from './cassandra-message-store';
import {
  columnAlreadyAdded,
  keyspaceStatement,
  migrateCassandra,
  schemaMigrationsStatement,
} from './cql/migrate';
import { CQL_MIGRATIONS } from './cql/migrations';
import { messageStoreContract } from './message-store.contract';
import { openMessageStore } from './open-message-store';

const contactPoints = (process.env.CASSANDRA_CONTACT_POINTS ?? '')
  .split(',')
  .map((point) => point.trim())
  .filter(Boolean);
const SKIPPED =
  'skipped: no Cassandra (CASSANDRA_CONTACT_POINTS unset; none can be installed on this machine)';

describe('buckets', () => {
  it('puts seqs 0..size-1 in bucket 0, then size seqs per bucket', () => {
    expect([0, 1, 999, 1000, 1999, 2000].map((seq) => bucketOf(seq, 1000))).toEqual([0, 0, 0, 1, 1, 2]);
    expect([bucketEnd(0, 1000), bucketEnd(1, 1000), bucketEnd(3, 7)]).toEqual([999, 1999, 27]);
    for (let seq = 0; seq < 100; seq++) {
      const bucket = bucketOf(seq, 7);
      expect(seq).toBeLessThanOrEqual(bucketEnd(bucket, 7));
      expect(seq).toBeGreaterThan(bucket === 0 ? -1 : bucketEnd(bucket - 1, 7));
    }
  });

  it('lists the buckets a range of seqs spans, none for an empty range', () => {
    expect(bucketsBetween(1, 6, 7)).toEqual([0]);
    expect(bucketsBetween(6, 7, 7)).toEqual([0, 1]);
    expect(bucketsBetween(5, 30, 7)).toEqual([0, 1, 2, 3, 4]);
    expect(bucketsBetween(8, 7, 7)).toEqual([]);
  });

  it('writes state cells with the seq as timestamp, deletions above every seq', () => {
    expect(cellTimestamp(41)).toBeLessThan(cellTimestamp(42));
    expect(TOMBSTONE_TIMESTAMP).toBeGreaterThan(cellTimestamp(2 ** 52));
  });
});

describe('CQL statements', () => {
  const statements = Object.entries(buildStatements('sc_ks'));

  it('are flagged idempotent exactly when they are not lightweight transactions', () => {
    for (const [name, { cql, idempotent }] of statements) {
      expect({ name, idempotent }).toEqual({
        name,
        idempotent: !/ IF (NOT )?EXISTS$| IF \w+ = \?$/.test(cql),
      });
    }
    expect(statements.filter(([, statement]) => !statement.idempotent).map(([name]) => name)).toEqual([
      'insertEvent',
      'insertClaim',
      'takeOverClaim',
      'deleteClaim',
      'insertReaction',
      'deleteReaction',
    ]);
  });

  it('name their keyspace, list their columns and bind every value', () => {
    for (const [, { cql }] of statements) {
      expect(cql).toMatch(/(^| )(FROM|INTO|UPDATE) sc_ks\.\w+ /);
      expect(cql).not.toMatch(/SELECT \*/);
      // No literal but the empty body of a tombstone: every value is bound.
      expect(cql.replaceAll("''", '')).not.toMatch(/'/);
    }
  });

  it('read and write partitions by conversation and bucket wherever the log or messages are', () => {
    for (const [, { cql }] of statements) {
      if (/(events_by_conversation|messages_by_conversation)/.test(cql) && !cql.startsWith('INSERT')) {
        expect(cql).toMatch(/conversation_id = \? AND bucket = \?/);
      }
    }
  });

  it('refuse a keyspace name that is not a plain identifier', () => {
    expect(() => buildStatements('ks; DROP KEYSPACE x')).toThrow(/keyspace/);
    expect(() => keyspaceStatement('Bad-Name', 'dc1', 1)).toThrow(/keyspace/);
  });
});

describe('CQL migrations', () => {
  it('create the keyspace with NetworkTopologyStrategy in the local data centre', () => {
    expect(keyspaceStatement('secureconnect', 'datacenter1', 3)).toBe(
      "CREATE KEYSPACE IF NOT EXISTS secureconnect WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 3} AND durable_writes = true",
    );
    expect(() => keyspaceStatement('secureconnect', "dc1'", 1)).toThrow(/CASSANDRA_LOCAL_DC/);
    expect(() => keyspaceStatement('secureconnect', 'dc1', 0)).toThrow(/CASSANDRA_REPLICATION_FACTOR/);
  });

  it('are idempotent statements in the keyspace, with unique ordered versions', () => {
    const versions = CQL_MIGRATIONS.map((migration) => migration.version);
    expect(versions).toEqual([...new Set(versions)].sort());
    expect(schemaMigrationsStatement('ks')).toMatch(/^CREATE TABLE IF NOT EXISTS ks\.schema_migrations/);
    for (const migration of CQL_MIGRATIONS) {
      for (const statement of migration.statements('ks')) {
        expect(statement).toMatch(/^(CREATE (TABLE|INDEX|TYPE) IF NOT EXISTS|ALTER TABLE) ks\.\w+/);
        if (statement.startsWith('ALTER')) {
          const column = /ADD (\w+)/.exec(statement)![1];
          expect(
            columnAlreadyAdded(statement, invalidRequest(`Column with name '${column}' already exists`)),
          ).toBe(true);
        }
      }
    }
  });

  it('skip adding a column an interrupted run already added, and nothing else', () => {
    const add = 'ALTER TABLE ks.messages_by_conversation ADD poll_id uuid';
    // Cassandra 3.x, then 4.0 and later.
    expect(
      columnAlreadyAdded(
        add,
        invalidRequest('Invalid column name poll_id because it conflicts with an existing column'),
      ),
    ).toBe(true);
    expect(columnAlreadyAdded(add, invalidRequest("Column with name 'poll_id' already exists"))).toBe(true);

    expect(columnAlreadyAdded(add, invalidRequest("Column with name 'poll' already exists"))).toBe(false);
    expect(
      columnAlreadyAdded(
        add,
        invalidRequest(
          "Cannot re-add previously dropped column 'poll_id' of type text, incompatible with previous type uuid",
        ),
      ),
    ).toBe(false);
    expect(
      columnAlreadyAdded(
        add,
        new cassandra.errors.ResponseError(
          cassandra.types.responseErrorCodes.syntaxError,
          "Column with name 'poll_id' already exists",
        ),
      ),
    ).toBe(false);
    expect(
      columnAlreadyAdded(
        'CREATE TABLE IF NOT EXISTS ks.polls (poll_id uuid PRIMARY KEY)',
        invalidRequest("Column with name 'poll_id' already exists"),
      ),
    ).toBe(false);
  });

  it('create every table the statements use', () => {
    const created = CQL_MIGRATIONS.flatMap((migration) =>
      migration
        .statements('ks')
        .flatMap((statement) => /^CREATE TABLE IF NOT EXISTS ks\.(\w+)/.exec(statement)?.[1] ?? []),
    );
    const used = Object.values(buildStatements('ks')).map(({ cql }) => /ks\.(\w+)/.exec(cql)![1]);
    expect(new Set(created)).toEqual(new Set(used));
  });
});

function invalidRequest(message: string) {
  return new cassandra.errors.ResponseError(cassandra.types.responseErrorCodes.invalid, message);
}

if (!contactPoints.length) console.log(`\nCassandraMessageStore: ${SKIPPED}\n`);

/** Without a cluster the whole suite is listed as skipped, under a title that says why. */
const describeOnCluster = contactPoints.length ? describe : describe.skip;

describeOnCluster(contactPoints.length ? 'CassandraMessageStore on a real cluster' : SKIPPED, () => {
  const keyspace = `sc_test_${randomBytes(5).toString('hex')}`;
  const config: CassandraConfig = {
    CASSANDRA_CONTACT_POINTS: contactPoints,
    CASSANDRA_LOCAL_DC: process.env.CASSANDRA_LOCAL_DC || 'datacenter1',
    CASSANDRA_KEYSPACE: keyspace,
    CASSANDRA_USERNAME: process.env.CASSANDRA_USERNAME || undefined,
    CASSANDRA_PASSWORD: process.env.CASSANDRA_PASSWORD || undefined,
    CASSANDRA_REPLICATION_FACTOR: 1,
    CASSANDRA_READ_TIMEOUT_MS: 10_000,
  };
  const observability = testObservability();
  let first: CassandraMessageStore;

  beforeAll(async () => {
    // openMessageStore is the start-up path: it must create the keyspace and tables itself.
    const store = await openMessageStore({ config, db: undefined as never, ...observability });
    expect(store.kind).toBe('cassandra');
    await store.close();
    first = await openCassandraMessageStore({ config, ...observability, migrate: false, bucketSize: 7 });
  }, 120_000);

  afterAll(async () => {
    await first?.close();
    const client = createCassandraClient(config);
    try {
      await client.connect();
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: 60_000 });
    } finally {
      await client.shutdown();
    }
  }, 120_000);

  messageStoreContract('CassandraMessageStore (bucket size 7)', async () => {
    const store = await openCassandraMessageStore({
      config,
      ...observability,
      migrate: false,
      bucketSize: 7,
    });
    return { store, close: () => store.close() };
  });

  it('finds its migrations applied when run again', async () => {
    const client = createCassandraClient(config);
    try {
      await client.connect();
      expect(
        await migrateCassandra(client, keyspace, 1, { localDataCenter: config.CASSANDRA_LOCAL_DC }),
      ).toEqual([]);
      const { rows } = await client.execute(`SELECT version FROM ${keyspace}.schema_migrations`);
      expect(rows.map((row) => row.get('version'))).toEqual(
        CQL_MIGRATIONS.map((migration) => migration.version),
      );
    } finally {
      await client.shutdown();
    }
  });

  it('runs a migration again whose column was added before it was recorded', async () => {
    const client = createCassandraClient(config);
    try {
      await client.connect();
      // As if the migrating process had died between the ALTER and recording the version.
      await client.execute(
        `DELETE FROM ${keyspace}.schema_migrations WHERE version = ?`,
        ['0002_message_poll_id'],
        { prepare: true },
      );
      expect(
        await migrateCassandra(client, keyspace, 1, { localDataCenter: config.CASSANDRA_LOCAL_DC }),
      ).toEqual(['0002_message_poll_id']);
    } finally {
      await client.shutdown();
    }
  });

  it('times every query by statement and outcome', async () => {
    await first.lastSeq(crypto.randomUUID());
    expect(
      await metricValue(observability.metrics.cassandraQueryDuration, {
        statement: 'selectHead',
        outcome: 'ok',
      }),
    ).toBeGreaterThan(0);
  });
});
