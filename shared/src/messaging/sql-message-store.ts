import { randomUUID } from 'node:crypto';
import { type Kysely, type QueryCreator, type Selectable, sql, type Transaction } from 'kysely';
import { queryTemplate } from '../db/query-template';
import type { DB, MessagesTable } from '../db/schema';
import { isUniqueViolation, retryOnSerializationFailure, withReadCommitted } from '../db/transaction';
import type { Metrics } from '../observability/metrics';
import type { ConversationEvent, DurableEventType } from './events';
import type {
  AppendedMessage,
  MessageChange,
  MessageRecord,
  MessageStore,
  NewMessage,
} from './message-store';
import {
  eventData,
  groupReactions,
  makeEvent,
  newMessageRecord,
  normalizeData,
  now,
  toSeq,
} from './store-support';

const CLIENT_MESSAGE_KEY = 'messages_client_message_key';

/** Attempts per write when CockroachDB asks for a retry (40001); PostgreSQL never does here. */
const DEFAULT_MAX_ATTEMPTS = 8;

/** Thrown inside a write whose check failed once the lock was held: rolls back the seq it took. */
class NoChange extends Error {}

export interface SqlMessageStoreOptions {
  db: Kysely<DB>;
  metrics?: Metrics;
  /** Attempts per write before it answers 503 (see {@link retryOnSerializationFailure}). */
  maxAttempts?: number;
}

type MessageRow = Selectable<MessagesTable>;
type Executor = Kysely<DB> | Transaction<DB>;

/** A seq as a bigint column's parameter (the columns read back as strings). */
function bigint(seq: number): string {
  return String(seq);
}

/** Escapes `\`, `%` and `_` so the query matches literally inside `ILIKE '%…%' ESCAPE '\'`. */
export function likePattern(query: string): string {
  return `%${query.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/**
 * Takes the conversation's next seq from its counter row (see {@link SqlMessageStore}): the row
 * stays locked, and the increment undone on rollback, until the statement or transaction ends.
 */
function takeSeq(db: QueryCreator<DB>, conversationId: string) {
  return db
    .insertInto('conversation_seqs')
    .values({ conversation_id: conversationId, last_seq: 1 })
    .onConflict((conflict) =>
      conflict.column('conversation_id').doUpdateSet({ last_seq: sql`conversation_seqs.last_seq + 1` }),
    )
    .returning('last_seq');
}

/** {@link SqlMessageStore.insertMessage}'s statement; `data` is the event's JSON without the seq. */
const appendStatement = queryTemplate(
  (
    db: Kysely<DB>,
    p: {
      id: string;
      conversationId: string;
      senderId: string;
      clientMessageId: string;
      body: string;
      replyToId: string | null;
      attachmentFileIds: string;
      pollId: string | null;
      createdAt: Date;
      data: string;
    },
  ) => {
    const data = sql<string>`jsonb_set(${p.data}::jsonb, '{message,seq}', to_jsonb(${sql.ref('message.seq')}))`;
    return db
      .with('next', (db) => takeSeq(db, p.conversationId))
      .with('message', (db) =>
        db
          .insertInto('messages')
          .columns([
            'id',
            'conversation_id',
            'seq',
            'sender_id',
            'client_message_id',
            'body',
            'reply_to_id',
            'attachment_file_ids',
            'poll_id',
            'created_at',
          ])
          .expression((eb) =>
            eb
              .selectFrom('next')
              .select([
                eb.val(p.id).as('id'),
                eb.val(p.conversationId).as('conversation_id'),
                'next.last_seq',
                eb.val(p.senderId).as('sender_id'),
                eb.val(p.clientMessageId).as('client_message_id'),
                eb.val(p.body).as('body'),
                eb.val(p.replyToId).as('reply_to_id'),
                eb.val(p.attachmentFileIds).as('attachment_file_ids'),
                eb.val(p.pollId).as('poll_id'),
                eb.val(p.createdAt).as('created_at'),
              ]),
          )
          .returning('seq'),
      )
      .insertInto('conversation_events')
      .columns(['conversation_id', 'seq', 'type', 'actor_id', 'data', 'created_at'])
      .expression((eb) =>
        eb
          .selectFrom('message')
          .select([
            eb.val(p.conversationId).as('conversation_id'),
            'message.seq',
            eb.val<DurableEventType>('message.created').as('type'),
            eb.val(p.senderId).as('actor_id'),
            data.as('data'),
            eb.val(p.createdAt).as('created_at'),
          ]),
      )
      .returning('seq');
  },
);

function toRecord(row: MessageRow, reactions: Record<string, string[]> = {}): MessageRecord {
  return {
    conversationId: row.conversation_id,
    id: row.id,
    seq: toSeq(row.seq),
    senderId: row.sender_id,
    clientMessageId: row.client_message_id,
    body: row.body,
    replyToId: row.reply_to_id,
    attachmentFileIds: row.attachment_file_ids,
    pollId: row.poll_id,
    createdAt: row.created_at,
    editedAt: row.edited_at,
    deletedAt: row.deleted_at,
    reactions,
  };
}

/**
 * The MessageStore over the relational database (Kysely): PGlite in embedded mode, PostgreSQL or
 * CockroachDB otherwise.
 *
 * Every write takes the conversation's next seq from its counter row (`INSERT … ON CONFLICT
 * (conversation_id) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq`, valid on all three
 * databases) and holds that row lock until it commits, so the writers of one conversation commit
 * one at a time, in seq order: a reader never sees seq n+1 before n. The change and its event
 * commit together with the increment or not at all, so a write that fails leaves no gap.
 *
 * A send — the hot path — is ONE autocommit statement ({@link appendMessage}): data-modifying CTEs
 * take the seq, insert the message with it, and insert its `message.created` event from the
 * inserted row, so the counter row stays locked for one round trip, not five. A unique violation
 * on {@link CLIENT_MESSAGE_KEY} (the same send committed first) aborts the whole statement, the
 * increment with it; only then is the earlier message looked up. Edits, deletes, reactions and
 * other events, rarer and with checks to make once the lock is held, run as a transaction whose
 * first statement takes the seq ({@link write}); a check that fails there ({@link NoChange})
 * rolls the increment back.
 *
 * Isolation: READ COMMITTED, deliberately. `write` sets it; a send, having no transaction to set
 * it on, runs at the server's default, which is READ COMMITTED on PostgreSQL and PGlite. At
 * SERIALIZABLE, PostgreSQL aborts every writer that waited for the counter row with 40001 once
 * the holder commits ("could not serialize access due to concurrent update"): measured on
 * PostgreSQL 15 with 5 processes appending 100 messages each to one conversation, ~0.45 retries
 * per append and a tail that exhausted 12 attempts (sends alone, on a server whose
 * default_transaction_isolation is serializable: 188 retries for the 500, none failed — correct,
 * only slower). At READ COMMITTED the waiter simply proceeds with the row's latest value;
 * because everything a write reads it reads after taking the lock, and every writer of the
 * conversation takes it first, each conversation's writes still behave exactly as if run one
 * after another. Unique constraints settle duplicate sends and reactions. CockroachDB runs at
 * SERIALIZABLE unless READ COMMITTED is enabled, and retries a single-statement implicit
 * transaction itself; any 40001 that still reaches us is retried as everywhere else.
 *
 * Does not own the database: `close()` leaves it open.
 */
export class SqlMessageStore implements MessageStore {
  readonly kind = 'sql' as const;
  private readonly db: Kysely<DB>;
  private readonly metrics?: Metrics;
  private readonly retry: { metrics?: Metrics; maxAttempts: number };

  constructor(options: SqlMessageStoreOptions) {
    this.db = options.db;
    this.metrics = options.metrics;
    this.retry = { metrics: options.metrics, maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS };
  }

  /**
   * Runs `work` in a transaction that has already taken the conversation's next seq (see the class
   * comment). `work` may throw {@link NoChange} to roll back and answer null.
   */
  private async write<T>(
    conversationId: string,
    work: (trx: Transaction<DB>, seq: number) => Promise<T>,
  ): Promise<T | null> {
    try {
      return await withReadCommitted(
        this.db,
        async (trx) => work(trx, await this.nextSeq(trx, conversationId)),
        this.retry,
      );
    } catch (error) {
      if (error instanceof NoChange) return null;
      throw error;
    }
  }

  /** Takes the conversation's next seq; the increment commits or rolls back with the transaction. */
  private async nextSeq(trx: Transaction<DB>, conversationId: string): Promise<number> {
    const row = await takeSeq(trx, conversationId).executeTakeFirstOrThrow();
    return toSeq(row.last_seq);
  }

  private async insertEvent(
    trx: Transaction<DB>,
    input: {
      conversationId: string;
      seq: number;
      type: DurableEventType;
      actorId: string | null;
      data: Record<string, unknown>;
      createdAt: Date;
    },
  ): Promise<ConversationEvent> {
    const data = normalizeData(input.data);
    await trx
      .insertInto('conversation_events')
      .values({
        conversation_id: input.conversationId,
        seq: input.seq,
        type: input.type,
        actor_id: input.actorId,
        data: JSON.stringify(data),
        created_at: input.createdAt,
      })
      .execute();
    return makeEvent(input.conversationId, input.seq, input.type, input.actorId, data, input.createdAt);
  }

  private async reactionsOf(
    executor: Executor,
    conversationId: string,
    messageIds: string[],
  ): Promise<Map<string, Record<string, string[]>>> {
    const byMessage = new Map<string, Array<{ emoji: string; userId: string; seq: number }>>();
    if (messageIds.length > 0) {
      const rows = await executor
        .selectFrom('message_reactions')
        .select(['message_id', 'emoji', 'user_id', 'seq'])
        .where('conversation_id', '=', conversationId)
        .where('message_id', 'in', messageIds)
        .execute();
      for (const row of rows) {
        const list = byMessage.get(row.message_id) ?? [];
        list.push({ emoji: row.emoji, userId: row.user_id, seq: toSeq(row.seq) });
        byMessage.set(row.message_id, list);
      }
    }
    return new Map(messageIds.map((id) => [id, groupReactions(byMessage.get(id) ?? [])]));
  }

  private async withReactions(
    executor: Executor,
    conversationId: string,
    rows: MessageRow[],
  ): Promise<MessageRecord[]> {
    const reactions = await this.reactionsOf(
      executor,
      conversationId,
      rows.map((row) => row.id),
    );
    return rows.map((row) => toRecord(row, reactions.get(row.id)));
  }

  private async messageRow(
    executor: Executor,
    conversationId: string,
    messageId: string,
  ): Promise<MessageRow | undefined> {
    return executor
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('id', '=', messageId)
      .executeTakeFirst();
  }

  /** The message a (conversation, sender, clientMessageId) already produced, with its created event. */
  private async existingSend(input: NewMessage): Promise<AppendedMessage | null> {
    const row = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', input.conversationId)
      .where('sender_id', '=', input.senderId)
      .where('client_message_id', '=', input.clientMessageId)
      .executeTakeFirst();
    if (!row) return null;
    const [message] = await this.withReactions(this.db, input.conversationId, [row]);
    const eventRow = await this.db
      .selectFrom('conversation_events')
      .selectAll()
      .where('conversation_id', '=', input.conversationId)
      .where('seq', '=', row.seq)
      .executeTakeFirstOrThrow();
    return { message: message!, event: eventFromRow(eventRow), created: false };
  }

  async appendMessage(input: NewMessage): Promise<AppendedMessage> {
    // Seq 0 until the statement takes one.
    const draft = newMessageRecord(input, randomUUID(), 0, now());
    try {
      const seq = await retryOnSerializationFailure(() => this.insertMessage(draft), this.retry);
      this.metrics?.messagesSentTotal.inc({ store: 'sql' });
      const message = { ...draft, seq };
      const data = normalizeData(eventData.created(message));
      const event = makeEvent(
        draft.conversationId,
        seq,
        'message.created',
        draft.senderId,
        data,
        draft.createdAt,
      );
      return { message, event, created: true };
    } catch (error) {
      // The same send committed first: this statement, its seq included, rolled back.
      if (isUniqueViolation(error, CLIENT_MESSAGE_KEY)) {
        const existing = await this.existingSend(input);
        if (existing) return existing;
      }
      throw error;
    }
  }

  /**
   * Takes the next seq, inserts the message under it and its `message.created` event, in one
   * statement (see the class comment); resolves to the seq. The event's data is the draft's,
   * with the seq the statement took written into `message.seq`.
   */
  private async insertMessage(draft: MessageRecord): Promise<number> {
    const [row] = await appendStatement.execute(this.db, {
      id: draft.id,
      conversationId: draft.conversationId,
      senderId: draft.senderId,
      clientMessageId: draft.clientMessageId,
      body: draft.body,
      replyToId: draft.replyToId,
      attachmentFileIds: JSON.stringify(draft.attachmentFileIds),
      pollId: draft.pollId,
      createdAt: draft.createdAt,
      data: JSON.stringify(eventData.created(draft)),
    });
    // Each CTE yields exactly one row or the statement fails.
    return toSeq(row!.seq);
  }

  async appendEvent(input: {
    conversationId: string;
    type: DurableEventType;
    actorId: string | null;
    data: Record<string, unknown>;
  }): Promise<ConversationEvent> {
    const event = await this.write(input.conversationId, (trx, seq) =>
      this.insertEvent(trx, { ...input, seq, createdAt: now() }),
    );
    return event!;
  }

  /** The message as it stands once the lock is held, or a rollback when it is absent or deleted. */
  private async liveMessage(
    trx: Transaction<DB>,
    conversationId: string,
    messageId: string,
  ): Promise<MessageRow> {
    const row = await this.messageRow(trx, conversationId, messageId);
    if (!row || row.deleted_at) throw new NoChange();
    return row;
  }

  /** Answers the common "nothing to do" cases without taking the conversation's lock. */
  private async isLive(conversationId: string, messageId: string): Promise<boolean> {
    const row = await this.messageRow(this.db, conversationId, messageId);
    return row !== undefined && row.deleted_at === null;
  }

  async editMessage(input: {
    conversationId: string;
    messageId: string;
    body: string;
    actorId: string;
  }): Promise<MessageChange | null> {
    if (!(await this.isLive(input.conversationId, input.messageId))) return null;
    return this.write(input.conversationId, async (trx, seq) => {
      const row = await this.liveMessage(trx, input.conversationId, input.messageId);
      const editedAt = now();
      await trx
        .updateTable('messages')
        .set({ body: input.body, edited_at: editedAt })
        .where('id', '=', row.id)
        .execute();
      const event = await this.insertEvent(trx, {
        conversationId: input.conversationId,
        seq,
        type: 'message.updated',
        actorId: input.actorId,
        data: eventData.updated(row.id, input.body, editedAt),
        createdAt: editedAt,
      });
      const [message] = await this.withReactions(trx, input.conversationId, [
        { ...row, body: input.body, edited_at: editedAt },
      ]);
      return { message: message!, event };
    });
  }

  async deleteMessage(input: {
    conversationId: string;
    messageId: string;
    actorId: string;
  }): Promise<MessageChange | null> {
    if (!(await this.isLive(input.conversationId, input.messageId))) return null;
    return this.write(input.conversationId, async (trx, seq) => {
      const row = await this.liveMessage(trx, input.conversationId, input.messageId);
      const deletedAt = now();
      await trx
        .updateTable('messages')
        .set({ body: '', deleted_at: deletedAt })
        .where('id', '=', row.id)
        .execute();
      // A tombstone keeps no reactions.
      await trx
        .deleteFrom('message_reactions')
        .where('conversation_id', '=', input.conversationId)
        .where('message_id', '=', row.id)
        .execute();
      const event = await this.insertEvent(trx, {
        conversationId: input.conversationId,
        seq,
        type: 'message.deleted',
        actorId: input.actorId,
        data: eventData.deleted(row.id, deletedAt),
        createdAt: deletedAt,
      });
      return { message: toRecord({ ...row, body: '', deleted_at: deletedAt }), event };
    });
  }

  private reactionRow(
    executor: Executor,
    input: { conversationId: string; messageId: string; emoji: string; userId: string },
  ) {
    return executor
      .selectFrom('message_reactions')
      .select('seq')
      .where('conversation_id', '=', input.conversationId)
      .where('message_id', '=', input.messageId)
      .where('emoji', '=', input.emoji)
      .where('user_id', '=', input.userId)
      .executeTakeFirst();
  }

  async addReaction(input: {
    conversationId: string;
    messageId: string;
    emoji: string;
    userId: string;
  }): Promise<ConversationEvent | null> {
    if (!(await this.isLive(input.conversationId, input.messageId))) return null;
    if (await this.reactionRow(this.db, input)) return null;
    return this.write(input.conversationId, async (trx, seq) => {
      await this.liveMessage(trx, input.conversationId, input.messageId);
      const createdAt = now();
      const inserted = await trx
        .insertInto('message_reactions')
        .values({
          conversation_id: input.conversationId,
          message_id: input.messageId,
          emoji: input.emoji,
          user_id: input.userId,
          seq,
          created_at: createdAt,
        })
        .onConflict((conflict) =>
          conflict.columns(['conversation_id', 'message_id', 'emoji', 'user_id']).doNothing(),
        )
        .returning('seq')
        .executeTakeFirst();
      if (!inserted) throw new NoChange();
      return this.insertEvent(trx, {
        conversationId: input.conversationId,
        seq,
        type: 'reaction.added',
        actorId: input.userId,
        data: eventData.reaction(input.messageId, input.emoji, input.userId),
        createdAt,
      });
    });
  }

  async removeReaction(input: {
    conversationId: string;
    messageId: string;
    emoji: string;
    userId: string;
  }): Promise<ConversationEvent | null> {
    if (!(await this.reactionRow(this.db, input))) return null;
    return this.write(input.conversationId, async (trx, seq) => {
      const removed = await trx
        .deleteFrom('message_reactions')
        .where('conversation_id', '=', input.conversationId)
        .where('message_id', '=', input.messageId)
        .where('emoji', '=', input.emoji)
        .where('user_id', '=', input.userId)
        .returning('seq')
        .executeTakeFirst();
      if (!removed) throw new NoChange();
      return this.insertEvent(trx, {
        conversationId: input.conversationId,
        seq,
        type: 'reaction.removed',
        actorId: input.userId,
        data: eventData.reaction(input.messageId, input.emoji, input.userId),
        createdAt: now(),
      });
    });
  }

  async getMessage(conversationId: string, messageId: string): Promise<MessageRecord | null> {
    const row = await this.messageRow(this.db, conversationId, messageId);
    if (!row) return null;
    const [message] = await this.withReactions(this.db, conversationId, [row]);
    return message ?? null;
  }

  async listMessages(
    conversationId: string,
    page: { beforeSeq?: number; afterSeq?: number; limit: number },
  ): Promise<MessageRecord[]> {
    if (page.limit <= 0) return [];
    let query = this.db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId);
    if (page.afterSeq !== undefined) query = query.where('seq', '>', bigint(page.afterSeq));
    if (page.beforeSeq !== undefined) query = query.where('seq', '<', bigint(page.beforeSeq));
    // After a cursor: the oldest `limit` after it. Otherwise the newest `limit` (before the cursor, if any).
    const ascending = page.afterSeq !== undefined;
    const rows = await query
      .orderBy('seq', ascending ? 'asc' : 'desc')
      .limit(page.limit)
      .execute();
    if (!ascending) rows.reverse();
    return this.withReactions(this.db, conversationId, rows);
  }

  async eventsAfter(conversationId: string, afterSeq: number, limit: number): Promise<ConversationEvent[]> {
    if (limit <= 0) return [];
    const rows = await this.db
      .selectFrom('conversation_events')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('seq', '>', bigint(afterSeq))
      .orderBy('seq', 'asc')
      .limit(limit)
      .execute();
    return rows.map(eventFromRow);
  }

  async lastSeq(conversationId: string): Promise<number> {
    const row = await this.db
      .selectFrom('conversation_seqs')
      .select('last_seq')
      .where('conversation_id', '=', conversationId)
      .executeTakeFirst();
    return row ? toSeq(row.last_seq) : 0;
  }

  async countMessagesAfter(
    conversationId: string,
    afterSeq: number,
    excludeSenderId: string,
    cap: number,
  ): Promise<number> {
    if (cap <= 0) return 0;
    const row = await this.db
      .selectFrom((db) =>
        db
          .selectFrom('messages')
          .select('id')
          .where('conversation_id', '=', conversationId)
          .where('seq', '>', bigint(afterSeq))
          .where('sender_id', '<>', excludeSenderId)
          .where('deleted_at', 'is', null)
          .limit(cap)
          .as('counted'),
      )
      .select((eb) => eb.fn.countAll<string | number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async search(conversationId: string, query: string, limit: number): Promise<MessageRecord[]> {
    if (limit <= 0) return [];
    const rows = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('deleted_at', 'is', null)
      .where(sql<boolean>`body ilike ${likePattern(query)} escape '\\'`)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
    return this.withReactions(this.db, conversationId, rows);
  }

  /**
   * Removes the conversation's messages, reactions and events. The sequence row stays, so seqs
   * never go back: a client holding a cursor from before still gets every later event.
   */
  async dropConversation(conversationId: string): Promise<void> {
    await retryOnSerializationFailure(() =>
      this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('message_reactions').where('conversation_id', '=', conversationId).execute();
        await trx.deleteFrom('messages').where('conversation_id', '=', conversationId).execute();
        await trx.deleteFrom('conversation_events').where('conversation_id', '=', conversationId).execute();
      }),
    );
  }

  async close(): Promise<void> {
    // The database belongs to whoever opened it.
  }
}

function eventFromRow(row: Selectable<DB['conversation_events']>): ConversationEvent {
  return makeEvent(
    row.conversation_id,
    toSeq(row.seq),
    row.type as DurableEventType,
    row.actor_id,
    row.data,
    row.created_at,
  );
}
