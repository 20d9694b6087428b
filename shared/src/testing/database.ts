import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Database, type OpenDatabaseOptions, openDatabase } from '../db/database';
import { migrateToLatest } from '../db/migrator';
import { testObservability } from './observability';

export interface TestDatabaseOptions extends Partial<Omit<OpenDatabaseOptions, 'url' | 'dataDir'>> {
  /** Default: PostgreSQL when the run found one (SC_TEST_DATABASE_URL), else PGlite. */
  kind?: Database['kind'];
  /** Default true; false leaves the database empty, for migration tests. */
  migrate?: boolean;
}

export type TestDatabase = Database & {
  /** The fresh database's own URL, on PostgreSQL. */
  url?: string;
};

/** Runs one statement on the test server's maintenance connection. */
async function administer(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * A database of its own for one test file (SPEC §11): a freshly created `sc_test_<random>` on the
 * run's PostgreSQL server, or PGlite in a fresh temporary directory. Migrated unless told not to;
 * `close()` drops it.
 */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = process.env.SC_TEST_DATABASE_URL || undefined;
  const { kind = serverUrl ? 'postgres' : 'pglite', migrate = true, ...overrides } = options;
  const settings = {
    poolMax: 5,
    acquireTimeoutMs: 5000,
    statementTimeoutMs: 30_000,
    ...testObservability(),
    ...overrides,
  };

  let database: Database;
  let url: string | undefined;
  let dispose: () => Promise<void>;
  if (kind === 'postgres') {
    if (!serverUrl) throw new Error('No PostgreSQL server for tests: SC_TEST_DATABASE_URL is empty.');
    const name = `sc_test_${randomBytes(6).toString('hex')}`;
    await administer(serverUrl, `create database ${name}`);
    const databaseUrl = new URL(serverUrl);
    databaseUrl.pathname = `/${name}`;
    url = databaseUrl.href;
    database = await openDatabase({ ...settings, url, dataDir: tmpdir() });
    dispose = () => administer(serverUrl, `drop database if exists ${name} with (force)`);
  } else {
    const dataDir = await mkdtemp(join(tmpdir(), 'sc-test-db-'));
    database = await openDatabase({ ...settings, dataDir });
    dispose = () => rm(dataDir, { recursive: true, force: true });
  }

  const testDatabase: TestDatabase = {
    ...database,
    url,
    async close() {
      try {
        await database.close();
      } finally {
        await dispose();
      }
    },
  };
  if (migrate) {
    await migrateToLatest(database.db, settings.logger).catch(async (error: unknown) => {
      await testDatabase.close();
      throw error;
    });
  }
  return testDatabase;
}
