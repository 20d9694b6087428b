import { tmpdir } from 'node:os';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger';
import { createTestDatabase, type TestDatabase } from '../testing/database';
import { testObservability } from '../testing/observability';
import { type Database, openDatabase } from './database';
import { migrations } from './migrations/index';
import { DatabaseAheadError, migrateToLatest } from './migrator';
import type { DB } from './schema';

/** Every table of schema.ts; the type makes tsc fail here when a table is added there. */
const EVERY_TABLE: Record<keyof DB, true> = {
  users: true,
  sessions: true,
  refresh_tokens: true,
  email_tokens: true,
  user_blocks: true,
  audit_log: true,
  conversations: true,
  conversation_members: true,
  identity_keys: true,
  one_time_prekeys: true,
  conversation_seqs: true,
  conversation_events: true,
  messages: true,
  message_reactions: true,
  polls: true,
  poll_options: true,
  poll_votes: true,
  files: true,
  drive_usage: true,
  file_shares: true,
  blob_deletions: true,
  calls: true,
  call_participants: true,
  push_devices: true,
  notification_preferences: true,
  ai_settings: true,
  message_daily_counts: true,
  gateway_heartbeats: true,
};

const noPostgres = !process.env.SC_TEST_DATABASE_URL;

/** A logger whose lines the test can read. */
function recordingLogger() {
  const lines: Array<{ msg: string; migration?: string; migrations?: string[] }> = [];
  const logger = createLogger({
    level: 'info',
    service: 'test',
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return {
    logger,
    applied: () => lines.filter((line) => line.msg === 'migration applied'),
    lines: () => lines,
  };
}

async function appliedMigrations(database: Database): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
    database.db,
  );
  return rows.map((row) => row.name);
}

for (const kind of ['postgres', 'pglite'] as const) {
  describe.skipIf(kind === 'postgres' && noPostgres)(`migrateToLatest on ${kind}`, () => {
    const opened: Database[] = [];
    afterEach(async () => {
      for (const database of opened.splice(0).reverse()) await database.close();
    });

    async function freshDatabase(): Promise<TestDatabase> {
      const database = await createTestDatabase({ kind, migrate: false });
      opened.push(database);
      return database;
    }

    it('creates every table in the schema', async () => {
      const database = await freshDatabase();
      await migrateToLatest(database.db, testObservability().logger);

      const tables = (await database.db.introspection.getTables()).map((table) => table.name);
      expect(tables).toEqual(expect.arrayContaining(Object.keys(EVERY_TABLE)));
      expect(await appliedMigrations(database)).toEqual(Object.keys(migrations));
    });

    it('does nothing when run again', async () => {
      const database = await freshDatabase();
      const { logger, applied } = recordingLogger();
      await migrateToLatest(database.db, logger);
      await migrateToLatest(database.db, logger);

      expect(applied().map((line) => line.migration)).toEqual(Object.keys(migrations));
      expect(await appliedMigrations(database)).toEqual(Object.keys(migrations));
    });

    it('applies each migration once when several starters race on one database', async () => {
      const database = await freshDatabase();
      // PostgreSQL: separate processes' pools on one database. PGlite has one connection per
      // directory, so there the racers share it.
      const racers: Database[] = [database];
      if (database.url) {
        for (let i = 0; i < 2; i++) {
          const racer = await openDatabase({
            url: database.url,
            dataDir: tmpdir(),
            poolMax: 2,
            acquireTimeoutMs: 10_000,
            statementTimeoutMs: 30_000,
            ...testObservability(),
          });
          opened.push(racer);
          racers.push(racer);
        }
      } else {
        racers.push(database, database);
      }
      const { logger, applied } = recordingLogger();

      await Promise.all(racers.map((racer) => migrateToLatest(racer.db, logger)));

      expect(applied().map((line) => line.migration)).toEqual(Object.keys(migrations));
      expect(await appliedMigrations(database)).toEqual(Object.keys(migrations));
    });

    it('starts a rolled-back release on the schema a newer release left, and says so', async () => {
      const database = await freshDatabase();
      await migrateToLatest(database.db, testObservability().logger);
      const newer = '9999_from_a_newer_release';
      await sql`insert into kysely_migration (name, timestamp) values (${newer}, ${new Date().toISOString()})`.execute(
        database.db,
      );
      const { logger, applied, lines } = recordingLogger();

      await migrateToLatest(database.db, logger);

      expect(applied()).toEqual([]);
      expect(lines()).toContainEqual(
        expect.objectContaining({
          msg: 'database schema is ahead of this release; running on it unchanged',
          migrations: [newer],
        }),
      );
      expect(await appliedMigrations(database)).toEqual([...Object.keys(migrations), newer]);
    });

    it('refuses a database whose history diverged from this release', async () => {
      const database = await freshDatabase();
      await migrateToLatest(database.db, testObservability().logger);
      const last = Object.keys(migrations).at(-1) as string;
      await sql`delete from kysely_migration where name = ${last}`.execute(database.db);
      await sql`insert into kysely_migration (name, timestamp) values ('9999_elsewhere', ${new Date().toISOString()})`.execute(
        database.db,
      );

      const refused = migrateToLatest(database.db, testObservability().logger);

      await expect(refused).rejects.toThrow(DatabaseAheadError);
      await expect(refused).rejects.toThrow(`lacks some it needs (${last})`);
    });
  });
}
