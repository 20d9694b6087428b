import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Database, openDatabase } from '../db/database';
import { createTestDatabase, type TestDatabase } from '../testing/database';
import { testObservability } from '../testing/observability';
import { messageStoreContract } from './message-store.contract';
import { likePattern, SqlMessageStore } from './sql-message-store';

const noPostgres = !process.env.SC_TEST_DATABASE_URL;

describe('likePattern', () => {
  it('escapes the LIKE wildcards and the escape character itself', () => {
    expect(likePattern('100%')).toBe('%100\\%%');
    expect(likePattern('snake_case')).toBe('%snake\\_case%');
    expect(likePattern('a\\b')).toBe('%a\\\\b%');
    expect(likePattern('plain')).toBe('%plain%');
  });
});

for (const kind of ['postgres', 'pglite'] as const) {
  describe.skipIf(kind === 'postgres' && noPostgres)(`SqlMessageStore on ${kind}`, () => {
    let database: TestDatabase;
    const { metrics } = testObservability();

    beforeAll(async () => {
      database = await createTestDatabase({ kind, poolMax: 3 });
    });
    afterAll(() => database?.close());

    /**
     * PostgreSQL: each handle has its own pool, as separate processes would. PGlite has a single
     * connection per directory, so there the handles share it.
     */
    messageStoreContract(`SqlMessageStore on ${kind}`, async () => {
      if (!database.url)
        return { store: new SqlMessageStore({ db: database.db, metrics }), close: async () => {} };
      const own: Database = await openDatabase({
        url: database.url,
        dataDir: tmpdir(),
        poolMax: 2,
        acquireTimeoutMs: 10_000,
        statementTimeoutMs: 30_000,
        ...testObservability(),
      });
      return { store: new SqlMessageStore({ db: own.db, metrics }), close: () => own.close() };
    });

    it('says it is the SQL store and leaves the database open on close', async () => {
      const store = new SqlMessageStore({ db: database.db });
      expect(store.kind).toBe('sql');
      await store.close();
      await database.ping();
    });

    it('leaves no gap when a write fails after taking its seq', async () => {
      const store = new SqlMessageStore({ db: database.db, metrics });
      const conversationId = crypto.randomUUID();
      await store.appendEvent({ conversationId, type: 'read', actorId: null, data: {} });
      // A payload jsonb rejects (a lone surrogate is not valid Unicode) fails inside the transaction.
      await expect(
        store.appendEvent({ conversationId, type: 'read', actorId: null, data: { bad: '\ud800' } }),
      ).rejects.toThrow();
      const next = await store.appendEvent({ conversationId, type: 'read', actorId: null, data: {} });
      expect(next.seq).toBe(2);
      expect(await store.lastSeq(conversationId)).toBe(2);
    });

    it('leaves no gap and no message when a send fails inside its statement', async () => {
      const store = new SqlMessageStore({ db: database.db, metrics });
      const conversationId = crypto.randomUUID();
      const send = (clientMessageId: string, body: string) =>
        store.appendMessage({
          conversationId,
          senderId: crypto.randomUUID(),
          clientMessageId,
          body,
          replyToId: null,
          attachmentFileIds: [],
          pollId: null,
        });
      await send('first', 'one');
      // The message row takes the body; its event's jsonb rejects it, failing the statement after the seq was taken.
      await expect(send('broken', '\ud800')).rejects.toThrow();
      const next = await send('next', 'two');
      expect(next.event.seq).toBe(2);
      expect(
        (await store.listMessages(conversationId, { limit: 10 })).map((message) => message.body),
      ).toEqual(['one', 'two']);
      expect(await store.lastSeq(conversationId)).toBe(2);
    });

    it('appends a message in one statement, without a transaction', async () => {
      const statements: string[] = [];
      const db = database.db.withPlugin({
        transformQuery: ({ node }) => {
          statements.push(node.kind);
          return node;
        },
        transformResult: async ({ result }) => result,
      });
      const transaction = vi.spyOn(db, 'transaction');
      const store = new SqlMessageStore({ db });
      const conversationId = crypto.randomUUID();
      const sent = await store.appendMessage({
        conversationId,
        senderId: crypto.randomUUID(),
        clientMessageId: 'once',
        body: 'one round trip',
        replyToId: null,
        attachmentFileIds: [],
        pollId: null,
      });
      expect(statements).toEqual(['InsertQueryNode']);
      expect(transaction).not.toHaveBeenCalled();
      expect(await store.eventsAfter(conversationId, 0, 10)).toEqual([sent.event]);
    });
  });
}
