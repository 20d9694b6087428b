import { type Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/database';
import { PreparedStatements } from './prepared-statements';

const noPostgres = !process.env.SC_TEST_DATABASE_URL;

/** What the current connection has prepared: pg_prepared_statements is per session. */
async function preparedOnConnection(db: Kysely<unknown>): Promise<string[]> {
  return db.connection().execute(async (connection) => {
    await sql`select ${1}::int as warm`.execute(connection);
    await sql`select ${2}::int as warm`.execute(connection);
    const { rows } = await sql<{ statement: string }>`
      select statement from pg_prepared_statements where name like 'sc_%'`.execute(connection);
    return rows.map((row) => row.statement);
  });
}

describe.skipIf(noPostgres)('named prepared statements on PostgreSQL', () => {
  const opened: TestDatabase[] = [];
  const open = async (preparedStatements: boolean) => {
    const database = await createTestDatabase({
      kind: 'postgres',
      migrate: false,
      poolMax: 1,
      preparedStatements,
    });
    opened.push(database);
    return database.db as unknown as Kysely<unknown>;
  };
  afterEach(async () => {
    for (const database of opened.splice(0)) await database.close();
  });

  it('prepares each query text once per connection and reuses it', async () => {
    const db = await open(true);
    const statements = await preparedOnConnection(db);
    expect(statements.filter((text) => text.includes('as warm'))).toHaveLength(1);
  });

  it('prepares nothing when turned off', async () => {
    const db = await open(false);
    expect(await preparedOnConnection(db)).toEqual([]);
  });

  it('survives a migration that changes a table under a prepared statement', async () => {
    const db = await open(true);
    await sql`create table prepared_probe (id int primary key)`.execute(db);
    await sql`insert into prepared_probe values (1)`.execute(db);
    const read = () =>
      db
        .selectFrom('prepared_probe' as never)
        .selectAll()
        .execute();
    expect(await read()).toEqual([{ id: 1 }]);
    await sql`alter table prepared_probe add column note text default 'new'`.execute(db);
    // The old plan returns one column; PostgreSQL refuses it, and the query is prepared afresh.
    expect(await read()).toEqual([{ id: 1, note: 'new' }]);
    expect(await read()).toEqual([{ id: 1, note: 'new' }]);
  });
});

describe('PreparedStatements', () => {
  it('names a text once, stops naming past its capacity and renames a renewed text', () => {
    const statements = new PreparedStatements(2);
    const first = statements.nameOf('select 1');
    expect(statements.nameOf('select 1')).toBe(first);
    expect(statements.nameOf('select 2')).toBeDefined();
    expect(statements.nameOf('select 3')).toBeUndefined();
    statements.renew('select 1');
    const renewed = statements.nameOf('select 1');
    expect(renewed).toBeDefined();
    expect(renewed).not.toBe(first);
  });
});
