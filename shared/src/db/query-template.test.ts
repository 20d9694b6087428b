import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/database';
import { queryTemplate } from './query-template';
import type { DB } from './schema';

const noPostgres = !process.env.SC_TEST_DATABASE_URL;

interface Counter {
  id: string;
  seq: string;
}

/** A counter row, inserted or moved to `seq`, echoing the id as a third use of it. */
const buildUpsert = (db: Kysely<DB>, p: Counter) =>
  db
    .insertInto('conversation_seqs')
    .values({ conversation_id: p.id, last_seq: p.seq })
    .onConflict((conflict) => conflict.column('conversation_id').doUpdateSet({ last_seq: p.seq }))
    .returning((eb) => ['last_seq', eb.val(p.id).as('echo')]);

const lastSeq = async (db: Kysely<DB>, id: string) =>
  (
    await db
      .selectFrom('conversation_seqs')
      .select('last_seq')
      .where('conversation_id', '=', id)
      .executeTakeFirst()
  )?.last_seq;

for (const kind of ['postgres', 'pglite'] as const) {
  describe.skipIf(kind === 'postgres' && noPostgres)(`queryTemplate on ${kind}`, () => {
    let database: TestDatabase;
    let db: Kysely<DB>;

    beforeAll(async () => {
      database = await createTestDatabase({ kind });
      db = database.db;
    });
    afterAll(() => database?.close());

    it('sends the builder’s SQL with each named input in every parameter it took', async () => {
      const upsert = queryTemplate(buildUpsert);
      const executeQuery = vi.spyOn(db, 'executeQuery');
      const id = randomUUID();
      try {
        expect(await upsert.execute(db, { id, seq: '3' })).toEqual([{ last_seq: '3', echo: id }]);
        expect(await upsert.execute(db, { id, seq: '5' })).toEqual([{ last_seq: '5', echo: id }]);
        const sent = executeQuery.mock.calls[1]![0];
        const expected = buildUpsert(db, { id, seq: '5' }).compile();
        expect(sent).toMatchObject({ sql: expected.sql, parameters: expected.parameters });
        expect(expected.parameters).toEqual([id, '5', '5', id]);
      } finally {
        executeQuery.mockRestore();
      }
    });

    it('compiles once per database, transactions included, and on every call with plugins', async () => {
      const build = vi.fn(buildUpsert);
      const upsert = queryTemplate(build);
      await upsert.execute(db, { id: randomUUID(), seq: '1' });
      await db.transaction().execute((trx) => upsert.execute(trx, { id: randomUUID(), seq: '1' }));
      expect(build).toHaveBeenCalledTimes(1);

      const kinds: string[] = [];
      const observed = db.withPlugin({
        transformQuery: ({ node }) => {
          kinds.push(node.kind);
          return node;
        },
        transformResult: async ({ result }) => result,
      });
      await upsert.execute(observed, { id: randomUUID(), seq: '1' });
      await upsert.execute(observed, { id: randomUUID(), seq: '1' });
      expect(kinds).toEqual(['InsertQueryNode', 'InsertQueryNode']);
    });

    it('runs on the transaction it is given', async () => {
      const upsert = queryTemplate(buildUpsert);
      const id = randomUUID();
      const rollback = new Error('roll back');
      await expect(
        db.transaction().execute(async (trx) => {
          await upsert.execute(trx, { id, seq: '7' });
          expect(await lastSeq(trx, id)).toBe('7');
          throw rollback;
        }),
      ).rejects.toBe(rollback);
      expect(await lastSeq(db, id)).toBeUndefined();
    });

    it('returns no rows for a write without returning', async () => {
      const move = queryTemplate((db: Kysely<DB>, p: Counter) =>
        db.updateTable('conversation_seqs').set({ last_seq: p.seq }).where('conversation_id', '=', p.id),
      );
      const rows: never[] = await move.execute(db, { id: randomUUID(), seq: '1' });
      expect(rows).toEqual([]);
    });

    describe('fails on its first compile, not with wrong SQL, when an input', () => {
      const select = (db: Kysely<DB>) => db.selectFrom('conversation_seqs').select('last_seq');

      it('is inlined into the SQL text', async () => {
        const inlined = queryTemplate((db: Kysely<DB>, p: Counter) =>
          select(db).where('conversation_id', '=', sql.lit(p.id)),
        );
        await expect(inlined.execute(db, { id: randomUUID(), seq: '1' })).rejects.toThrow(
          'Query template input "id" was converted or computed on',
        );
      });

      it('is computed with', async () => {
        const computed = queryTemplate((db: Kysely<DB>, p: { seq: number }) =>
          select(db).where('last_seq', '=', String(p.seq + 1)),
        );
        await expect(computed.execute(db, { seq: 1 })).rejects.toThrow(
          'Query template input "seq" was converted or computed on',
        );
      });

      it('is JSON-serialized into a bigger value', async () => {
        const serialized = queryTemplate((db: Kysely<DB>, p: Counter) =>
          select(db).where(sql<boolean>`${JSON.stringify({ id: p.id })}::jsonb ? 'id'`),
        );
        await expect(serialized.execute(db, { id: randomUUID(), seq: '1' })).rejects.toThrow(
          'Query template input "id" was JSON-serialized',
        );
      });

      it('is nested in a larger parameter', async () => {
        const nested = queryTemplate((db: Kysely<DB>, p: Counter) =>
          select(db).where(sql<boolean>`last_seq = any(${[p.seq, '0']})`),
        );
        await expect(nested.execute(db, { id: randomUUID(), seq: '1' })).rejects.toThrow(
          'Query template parameter $1 has an input inside a larger value.',
        );
      });

      it('decides the shape of the query', async () => {
        const branched = queryTemplate((db: Kysely<DB>, p: { id: string; all: boolean }) =>
          p.all ? select(db) : select(db).where('conversation_id', '=', p.id),
        );
        await expect(branched.execute(db, { id: randomUUID(), all: true })).rejects.toThrow(
          `Query template inputs not among the query's parameters: "all"`,
        );
      });
    });
  });
}

it('takes scalar inputs only: a list would fix the length of an `in` list', () => {
  // @ts-expect-error an array is not a TemplateValue
  queryTemplate((db: Kysely<DB>, p: { ids: string[] }) =>
    db.selectFrom('conversation_seqs').select('last_seq').where('conversation_id', 'in', p.ids),
  );
});
