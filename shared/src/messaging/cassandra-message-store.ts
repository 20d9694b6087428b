import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import type { Config } from '../config/env';
import { ProblemError, serviceUnavailable } from '../errors/problem';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { migrateCassandra } from './cql/migrate';
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
  type MessageJson,
  makeEvent,
  matchesQuery,
  messageFromJson,
  newMessageRecord,
  normalizeData,
  now,
  toSeq,
} from './store-support';

type Client = cassandra.Client;
type QueryOptions = cassandra.QueryOptions;
type ResultSet = cassandra.types.ResultSet;
type Row = cassandra.types.Row;

const { consistencies } = cassandra.types;

// ---------------------------------------------------------------------------------------------
// Buckets (pure)
// ---------------------------------------------------------------------------------------------

/** Events (and messages) per partition. */
export const DEFAULT_BUCKET_SIZE = 1000;

/** The partition bucket of a seq: seqs 0..size-1 in bucket 0, size..2·size-1 in bucket 1, … */
export function bucketOf(seq: number, bucketSize: number): number {
  return Math.floor(seq / bucketSize);
}

/** The last seq a bucket can hold. */
export function bucketEnd(bucket: number, bucketSize: number): number {
  return (bucket + 1) * bucketSize - 1;
}

/** The buckets holding seqs from..to (inclusive), ascending; empty when from > to. */
export function bucketsBetween(fromSeq: number, toSeq: number, bucketSize: number): number[] {
  if (fromSeq > toSeq) return [];
  const first = bucketOf(fromSeq, bucketSize);
  const last = bucketOf(toSeq, bucketSize);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/**
 * The write timestamp of a state cell changed by the event at `seq`: state converges to what the
 * log says whatever order the writes land in (last write wins = highest seq wins).
 */
export function cellTimestamp(seq: number): number {
  return seq;
}

/**
 * The write timestamp of deletions (a message's tombstone, dropped ranges): above every seq, so
 * nothing written for an older change can bring deleted content back.
 */
export const TOMBSTONE_TIMESTAMP = Number.MAX_SAFE_INTEGER;

// ---------------------------------------------------------------------------------------------
// Statements (pure)
// ---------------------------------------------------------------------------------------------

interface Statement {
  cql: string;
  /**
   * Safe to retry (and to execute speculatively): every plain read and write here is, including
   * those with USING TIMESTAMP. Never a lightweight transaction: replaying one whose first
   * attempt was applied would see its own write and answer "not applied".
   */
  idempotent: boolean;
}

const MESSAGE_COLUMNS =
  'seq, message_id, sender_id, client_message_id, body, reply_to_id, attachment_file_ids, poll_id, created_at, edited_at, deleted_at';
const EVENT_COLUMNS = 'seq, event_id, type, actor_id, message_id, data, created_at';
const CLAIM_COLUMNS = 'message_id, claim_token, claimed_at, floor_seq';

/** Every CQL statement of the adapter, by the name its metrics carry. All are prepared. */
export function buildStatements(keyspace: string) {
  if (!/^[a-z][a-z0-9_]{0,47}$/.test(keyspace)) throw new Error(`Not a valid CQL keyspace name: ${keyspace}`);
  const ks = keyspace;
  const plain = (cql: string): Statement => ({ cql, idempotent: true });
  const lwt = (cql: string): Statement => ({ cql, idempotent: false });
  return {
    selectHead: plain(
      `SELECT bucket, floor_seq FROM ${ks}.conversation_heads WHERE conversation_id = ? LIMIT 1`,
    ),
    insertHead: plain(`INSERT INTO ${ks}.conversation_heads (conversation_id, bucket) VALUES (?, ?)`),
    updateFloor: plain(`UPDATE ${ks}.conversation_heads SET floor_seq = ? WHERE conversation_id = ?`),

    maxSeqInBucket: plain(
      `SELECT seq FROM ${ks}.events_by_conversation WHERE conversation_id = ? AND bucket = ? ORDER BY seq DESC LIMIT 1`,
    ),
    insertEvent: lwt(
      `INSERT INTO ${ks}.events_by_conversation (conversation_id, bucket, seq, event_id, type, actor_id, message_id, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
    ),
    selectEvent: plain(
      `SELECT ${EVENT_COLUMNS} FROM ${ks}.events_by_conversation WHERE conversation_id = ? AND bucket = ? AND seq = ?`,
    ),
    selectEventsAfter: plain(
      `SELECT ${EVENT_COLUMNS} FROM ${ks}.events_by_conversation WHERE conversation_id = ? AND bucket = ? AND seq > ? LIMIT ?`,
    ),
    deleteEventsThrough: plain(
      `DELETE FROM ${ks}.events_by_conversation WHERE conversation_id = ? AND bucket = ? AND seq <= ?`,
    ),

    insertMessage: plain(
      `INSERT INTO ${ks}.messages_by_conversation (conversation_id, bucket, ${MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`,
    ),
    selectMessage: plain(
      `SELECT ${MESSAGE_COLUMNS} FROM ${ks}.messages_by_conversation WHERE conversation_id = ? AND bucket = ? AND seq = ?`,
    ),
    selectMessagesAscending: plain(
      `SELECT ${MESSAGE_COLUMNS} FROM ${ks}.messages_by_conversation WHERE conversation_id = ? AND bucket = ? AND seq > ? AND seq < ? LIMIT ?`,
    ),
    selectMessagesDescending: plain(
      `SELECT ${MESSAGE_COLUMNS} FROM ${ks}.messages_by_conversation WHERE conversation_id = ? AND bucket = ? AND seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
    ),
    selectSendersAscending: plain(
      `SELECT seq, sender_id, deleted_at FROM ${ks}.messages_by_conversation WHERE conversation_id = ? AND bucket = ? AND seq > ? AND seq <= ?`,
    ),
    updateMessageBody: plain(
      `UPDATE ${ks}.messages_by_conversation USING TIMESTAMP ? SET body = ?, edited_at = ? WHERE conversation_id = ? AND bucket = ? AND seq = ?`,
    ),
    markMessageDeleted: plain(
      `UPDATE ${ks}.messages_by_conversation USING TIMESTAMP ? SET body = '', deleted_at = ? WHERE conversation_id = ? AND bucket = ? AND seq = ?`,
    ),
    deleteMessagesThrough: plain(
      `DELETE FROM ${ks}.messages_by_conversation USING TIMESTAMP ? WHERE conversation_id = ? AND bucket = ? AND seq <= ?`,
    ),

    insertLookup: plain(
      `INSERT INTO ${ks}.message_lookup (conversation_id, message_id, seq) VALUES (?, ?, ?)`,
    ),
    selectLookup: plain(`SELECT seq FROM ${ks}.message_lookup WHERE conversation_id = ? AND message_id = ?`),
    deleteLookup: plain(`DELETE FROM ${ks}.message_lookup WHERE conversation_id = ? AND message_id = ?`),

    selectClaim: plain(
      `SELECT ${CLAIM_COLUMNS} FROM ${ks}.messages_by_client_id WHERE conversation_id = ? AND sender_id = ? AND client_message_id = ?`,
    ),
    insertClaim: lwt(
      `INSERT INTO ${ks}.messages_by_client_id (conversation_id, sender_id, client_message_id, ${CLAIM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
    ),
    takeOverClaim: lwt(
      `UPDATE ${ks}.messages_by_client_id SET claim_token = ?, claimed_at = ? WHERE conversation_id = ? AND sender_id = ? AND client_message_id = ? IF claim_token = ?`,
    ),
    deleteClaim: lwt(
      `DELETE FROM ${ks}.messages_by_client_id WHERE conversation_id = ? AND sender_id = ? AND client_message_id = ? IF EXISTS`,
    ),

    selectReactions: plain(
      `SELECT emoji, user_id, reacted_at FROM ${ks}.reactions_by_message WHERE conversation_id = ? AND message_id = ?`,
    ),
    selectReaction: plain(
      `SELECT reacted_at FROM ${ks}.reactions_by_message WHERE conversation_id = ? AND message_id = ? AND emoji = ? AND user_id = ?`,
    ),
    insertReaction: lwt(
      `INSERT INTO ${ks}.reactions_by_message (conversation_id, message_id, emoji, user_id, reacted_at) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS`,
    ),
    deleteReaction: lwt(
      `DELETE FROM ${ks}.reactions_by_message WHERE conversation_id = ? AND message_id = ? AND emoji = ? AND user_id = ? IF EXISTS`,
    ),
    deleteReactions: plain(
      `DELETE FROM ${ks}.reactions_by_message USING TIMESTAMP ? WHERE conversation_id = ? AND message_id = ?`,
    ),
  } satisfies Record<string, Statement>;
}

export type StatementName = keyof ReturnType<typeof buildStatements>;

// ---------------------------------------------------------------------------------------------
// The adapter
// ---------------------------------------------------------------------------------------------

/** How many recent messages `search` reads at most (there is no substring index in Cassandra). */
export const SEARCH_SCAN_LIMIT = 5000;
/** How many messages `countMessagesAfter` reads at most before answering with what it counted. */
export const COUNT_SCAN_LIMIT = 5000;
/** A writer that claimed a send gives up (503) rather than write its event this late … */
const CLAIM_ABORT_MS = 5_000;
/** … so a claim this old, with no message behind it, is taken over by the next send of it. */
const CLAIM_STALE_MS = 15_000;
/** How long a repeated send waits for the first one to finish before answering 503. */
const CLAIM_WAIT_MS = 2_000;
/** Seqs tried per event before giving up (each lost try means another writer took that seq). */
const MAX_SEQ_ATTEMPTS = 200;

export interface CassandraMessageStoreOptions {
  client: Client;
  keyspace: string;
  /** Per-query client-side timeout (CASSANDRA_READ_TIMEOUT_MS). */
  readTimeoutMs: number;
  metrics: Metrics;
  logger: Logger;
  /** Default {@link DEFAULT_BUCKET_SIZE}; tests use a small one to cross buckets. Never change it for live data. */
  bucketSize?: number;
  /** Whether `close()` shuts the client down (default true). */
  ownsClient?: boolean;
}

interface Claim {
  messageId: string;
  token: string;
  claimedAt: Date;
  floorSeq: number;
}

interface EventDraft {
  type: DurableEventType;
  actorId: string | null;
  messageId: string | null;
  data: Record<string, unknown>;
}

type SeqOutcome = 'won' | 'taken' | 'unknown';

/** A column left out of a write (the driver's `useUndefinedAsUnset`): no null cell, no tombstone. */
const UNSET = undefined;

const str = (value: unknown): string => String(value);
const optionalStr = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);
const optionalDate = (value: unknown): Date | null => (value instanceof Date ? value : null);

function messageFromRow(
  conversationId: string,
  row: Row,
  reactions: Record<string, string[]> = {},
): MessageRecord {
  const deletedAt = optionalDate(row.deleted_at);
  return {
    conversationId,
    id: str(row.message_id),
    seq: toSeq(row.seq),
    senderId: str(row.sender_id),
    clientMessageId: str(row.client_message_id),
    body: row.body ?? '',
    replyToId: optionalStr(row.reply_to_id),
    attachmentFileIds: ((row.attachment_file_ids as unknown[] | null) ?? []).map(str),
    pollId: optionalStr(row.poll_id),
    createdAt: row.created_at as Date,
    editedAt: optionalDate(row.edited_at),
    deletedAt,
    // A tombstone keeps no reactions, even one written in a race with the delete.
    reactions: deletedAt ? {} : reactions,
  };
}

function eventFromRow(conversationId: string, row: Row): ConversationEvent {
  return makeEvent(
    conversationId,
    toSeq(row.seq),
    row.type as DurableEventType,
    optionalStr(row.actor_id),
    JSON.parse(row.data as string) as Record<string, unknown>,
    row.created_at as Date,
  );
}

/** True when a write may or may not have been applied: a timeout, or a connection lost mid-request. */
function outcomeUnknown(error: unknown): boolean {
  if (error instanceof cassandra.errors.OperationTimedOutError) return true;
  if (error instanceof cassandra.errors.ResponseError) {
    return error.code === cassandra.types.responseErrorCodes.writeTimeout;
  }
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { isSocketError?: boolean }).isSocketError === true
  );
}

function errorOutcome(error: unknown): 'timeout' | 'error' {
  if (error instanceof cassandra.errors.OperationTimedOutError) return 'timeout';
  if (
    error instanceof cassandra.errors.ResponseError &&
    (error.code === cassandra.types.responseErrorCodes.writeTimeout ||
      error.code === cassandra.types.responseErrorCodes.readTimeout)
  ) {
    return 'timeout';
  }
  return 'error';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The MessageStore on Cassandra (SPEC §7). Tables and their partitioning: ./cql/migrations.ts.
 *
 * Seqs without a counter: an event is written with `INSERT … IF NOT EXISTS` at (conversation,
 * bucket, seq), trying the last seq + 1 and moving up when another writer won that seq. A
 * lightweight transaction makes each seq go to exactly one writer, and a writer only tries seq n
 * once it has seen n-1 taken, so none is skipped. The last seq is found from `conversation_heads`
 * (the newest bucket reached) plus a read of that bucket's highest seq — one or two reads, not a
 * scan. A write whose outcome is unknown (timeout) is settled with a LOCAL_SERIAL read of its row.
 *
 * State follows the log: each change's state cells are written after its event, with the event's
 * seq as write timestamp, so they end as the log says in any order of arrival; deletions use a
 * timestamp above every seq. Clients fold the log by the rules in ./store-support.ts.
 *
 * Known limits: `search` reads only the newest {@link SEARCH_SCAN_LIMIT} messages and
 * `countMessagesAfter` at most {@link COUNT_SCAN_LIMIT}. A process that dies between writing an
 * event and its state cells leaves the state behind the log until the same request is retried
 * (a repeated send completes it, an edit is simply applied again); a repeated send whose first
 * attempt died before writing its event waits {@link CLAIM_STALE_MS}, then completes it.
 * Two deletes of one message at the same instant may both write message.deleted (the second is a
 * no-op when folded). Reactions are claimed per (message, emoji, user) with lightweight
 * transactions, so two identical adds (or removes) at once give one event; but an add and a
 * remove of the same user's same reaction at the same instant can leave the reaction row and the
 * log disagreeing (the row follows the claims' order, the log the events'), until that user
 * toggles it again. The SQL store has none of these windows: there the change and its event
 * commit in one transaction.
 *
 * Queries: all prepared, LOCAL_QUORUM (LOCAL_SERIAL for the Paxos phase of lightweight
 * transactions), each with the configured read timeout, flagged idempotent exactly when a retry
 * cannot change the outcome, timed in `cassandra_query_duration_seconds{statement,outcome}`.
 */
export class CassandraMessageStore implements MessageStore {
  readonly kind = 'cassandra' as const;
  private readonly client: Client;
  private readonly statements: ReturnType<typeof buildStatements>;
  private readonly bucketSize: number;

  constructor(private readonly options: CassandraMessageStoreOptions) {
    this.client = options.client;
    this.statements = buildStatements(options.keyspace);
    this.bucketSize = options.bucketSize ?? DEFAULT_BUCKET_SIZE;
    if (!Number.isInteger(this.bucketSize) || this.bucketSize < 2)
      throw new Error('bucketSize must be an integer ≥ 2');
  }

  private bucket(seq: number): number {
    return bucketOf(seq, this.bucketSize);
  }

  private async run(
    name: StatementName,
    params: unknown[],
    overrides: QueryOptions = {},
  ): Promise<ResultSet> {
    const statement = this.statements[name];
    const stop = this.options.metrics.cassandraQueryDuration.startTimer({ statement: name });
    try {
      const result = await this.client.execute(statement.cql, params, {
        prepare: true,
        isIdempotent: statement.idempotent,
        consistency: consistencies.localQuorum,
        serialConsistency: consistencies.localSerial,
        readTimeout: this.options.readTimeoutMs,
        // A partition holds at most bucketSize rows: one page is always enough.
        fetchSize: this.bucketSize + 1,
        ...overrides,
      });
      stop({ outcome: 'ok' });
      return result;
    } catch (error) {
      stop({ outcome: errorOutcome(error) });
      throw error;
    }
  }

  // ----- the log ------------------------------------------------------------------------------

  /** The last seq (and the floor below which everything was dropped), from the head hint and a forward probe. */
  private async probe(
    conversationId: string,
  ): Promise<{ lastSeq: number; floorSeq: number; headBucket: number }> {
    const head = (await this.run('selectHead', [conversationId])).first();
    const floorSeq = head?.floor_seq == null ? 0 : toSeq(head.floor_seq);
    const headBucket = head?.bucket == null ? -1 : Number(head.bucket);
    let bucket = Math.max(headBucket, this.bucket(floorSeq + 1));
    let lastSeq = floorSeq;
    for (;;) {
      const top = (await this.run('maxSeqInBucket', [conversationId, bucket])).first();
      if (!top) break;
      lastSeq = Math.max(lastSeq, toSeq(top.seq));
      if (lastSeq < bucketEnd(bucket, this.bucketSize)) break;
      bucket++;
    }
    return { lastSeq, floorSeq, headBucket };
  }

  /** Tries to write the event at `seq`; settles a timed-out attempt with a serial read of the row. */
  private async claimSeq(
    conversationId: string,
    seq: number,
    eventId: string,
    draft: EventDraft,
    createdAt: Date,
  ): Promise<SeqOutcome> {
    const bucket = this.bucket(seq);
    try {
      const result = await this.run('insertEvent', [
        conversationId,
        bucket,
        seq,
        eventId,
        draft.type,
        draft.actorId ?? UNSET,
        draft.messageId ?? UNSET,
        JSON.stringify(draft.data),
        createdAt,
      ]);
      if (result.wasApplied()) return 'won';
      return str(result.first()?.event_id) === eventId ? 'won' : 'taken';
    } catch (error) {
      if (!outcomeUnknown(error)) throw error;
      // A serial read completes any Paxos round still in flight on the partition, then tells who won.
      const row = (
        await this.run('selectEvent', [conversationId, bucket, seq], {
          consistency: consistencies.localSerial,
        })
      ).first();
      if (!row) return 'unknown';
      return str(row.event_id) === eventId ? 'won' : 'taken';
    }
  }

  /**
   * Appends one event under the next free seq. `build` makes the payload for a given seq (a
   * message.created carries its own seq); `guard` runs before each try and may throw to give up.
   */
  private async appendToLog(
    conversationId: string,
    build: (seq: number, createdAt: Date) => EventDraft,
    guard?: () => void,
  ): Promise<ConversationEvent> {
    const eventId = randomUUID();
    let { lastSeq, headBucket } = await this.probe(conversationId);
    let seq = lastSeq + 1;
    for (let attempt = 1; attempt <= MAX_SEQ_ATTEMPTS; attempt++) {
      guard?.();
      const createdAt = now();
      const draft = build(seq, createdAt);
      const outcome = await this.claimSeq(conversationId, seq, eventId, draft, createdAt);
      if (outcome === 'won') {
        if (this.bucket(seq) > headBucket) {
          await this.run('insertHead', [conversationId, this.bucket(seq)]).catch((error: unknown) =>
            this.options.logger.warn(
              { err: error, conversationId },
              'recording the conversation head failed',
            ),
          );
        }
        return makeEvent(
          conversationId,
          seq,
          draft.type,
          draft.actorId,
          normalizeData(draft.data),
          createdAt,
        );
      }
      if (outcome === 'taken') {
        seq++;
        // Far behind (many writers, or a stale hint): catch up with a fresh probe.
        if (attempt % 8 === 0) {
          ({ lastSeq, headBucket } = await this.probe(conversationId));
          seq = Math.max(seq, lastSeq + 1);
        }
      }
    }
    throw serviceUnavailable('The conversation is too busy; retry shortly.', 1);
  }

  private async eventAt(conversationId: string, seq: number): Promise<ConversationEvent | null> {
    const row = (await this.run('selectEvent', [conversationId, this.bucket(seq), seq])).first();
    return row ? eventFromRow(conversationId, row) : null;
  }

  // ----- messages -----------------------------------------------------------------------------

  private async reactionsOf(conversationId: string, messageId: string): Promise<Record<string, string[]>> {
    const rows = (await this.run('selectReactions', [conversationId, messageId])).rows;
    return groupReactions(
      rows.map((row) => {
        // Reaction order is the order of the reacted_at timeuuids (100 ns ticks, monotonic per process).
        const { date, ticks } = (row.reacted_at as cassandra.types.TimeUuid).getDatePrecision();
        return { emoji: str(row.emoji), userId: str(row.user_id), seq: date.getTime() * 10_000 + ticks };
      }),
    );
  }

  private async withReactions(conversationId: string, rows: Row[]): Promise<MessageRecord[]> {
    return Promise.all(
      rows.map(async (row) =>
        messageFromRow(
          conversationId,
          row,
          row.deleted_at ? {} : await this.reactionsOf(conversationId, str(row.message_id)),
        ),
      ),
    );
  }

  private async messageRowById(conversationId: string, messageId: string): Promise<Row | null> {
    const lookup = (await this.run('selectLookup', [conversationId, messageId])).first();
    if (!lookup) return null;
    const seq = toSeq(lookup.seq);
    return (await this.run('selectMessage', [conversationId, this.bucket(seq), seq])).first() ?? null;
  }

  async getMessage(conversationId: string, messageId: string): Promise<MessageRecord | null> {
    const row = await this.messageRowById(conversationId, messageId);
    if (!row) return null;
    const [message] = await this.withReactions(conversationId, [row]);
    return message ?? null;
  }

  private async writeMessageState(message: MessageRecord): Promise<void> {
    await Promise.all([
      this.run('insertMessage', [
        message.conversationId,
        this.bucket(message.seq),
        message.seq,
        message.id,
        message.senderId,
        message.clientMessageId,
        message.body,
        message.replyToId ?? UNSET,
        message.attachmentFileIds.length > 0 ? message.attachmentFileIds : UNSET,
        message.pollId ?? UNSET,
        message.createdAt,
        message.editedAt ?? UNSET,
        message.deletedAt ?? UNSET,
        cellTimestamp(message.seq),
      ]),
      this.run('insertLookup', [message.conversationId, message.id, message.seq]),
    ]);
  }

  /** The message a claim names and its created event, once both are stored. */
  private async sentMessage(conversationId: string, messageId: string): Promise<MessageChange | null> {
    const message = await this.getMessage(conversationId, messageId);
    if (!message) return null;
    const event = await this.eventAt(conversationId, message.seq);
    return event ? { message, event } : null;
  }

  private claimFromRow(row: Row): Claim {
    return {
      messageId: str(row.message_id),
      token: str(row.claim_token),
      claimedAt: row.claimed_at as Date,
      floorSeq: row.floor_seq == null ? 0 : toSeq(row.floor_seq),
    };
  }

  private claimKey(input: NewMessage): unknown[] {
    return [input.conversationId, input.senderId, input.clientMessageId];
  }

  /**
   * Runs a lightweight transaction whose outcome decides `T`. When it times out (applied or
   * not, nobody knows), a serial read of the row (`settle`) tells what is there now; when nothing
   * is, the write is tried again.
   */
  private async conditionalWrite<T>(
    write: () => Promise<ResultSet>,
    settle: () => Promise<T | null>,
    decide: (result: ResultSet) => T,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return decide(await write());
      } catch (error) {
        if (!outcomeUnknown(error) || attempt >= 5) throw error;
        const settled = await settle();
        if (settled !== null) return settled;
      }
    }
  }

  async appendMessage(input: NewMessage): Promise<AppendedMessage> {
    const found = (await this.run('selectClaim', this.claimKey(input))).first();
    if (found) return this.awaitClaim(input, this.claimFromRow(found));

    const { lastSeq } = await this.probe(input.conversationId);
    const claim: Claim = {
      messageId: randomUUID(),
      token: randomUUID(),
      claimedAt: now(),
      floorSeq: lastSeq,
    };
    const claimParams = [
      ...this.claimKey(input),
      claim.messageId,
      claim.token,
      claim.claimedAt,
      claim.floorSeq,
    ];
    const winner = await this.conditionalWrite(
      () => this.run('insertClaim', claimParams),
      async () => {
        const row = (
          await this.run('selectClaim', this.claimKey(input), { consistency: consistencies.localSerial })
        ).first();
        return row ? this.claimFromRow(row) : null;
      },
      (result) => (result.wasApplied() ? claim : this.claimFromRow(result.first())),
    );
    if (winner.token !== claim.token) return this.awaitClaim(input, winner);
    return this.completeSend(input, claim);
  }

  /** Writes the created event and the message of a claim this writer holds. */
  private async completeSend(input: NewMessage, claim: Claim): Promise<AppendedMessage> {
    let message: MessageRecord | undefined;
    const event = await this.appendToLog(
      input.conversationId,
      (seq, createdAt) => {
        message = newMessageRecord(input, claim.messageId, seq, createdAt);
        return {
          type: 'message.created',
          actorId: input.senderId,
          messageId: claim.messageId,
          data: eventData.created(message),
        };
      },
      () => {
        // Past this, a repeated send may take the claim over: never write a second created event.
        if (Date.now() - claim.claimedAt.getTime() > CLAIM_ABORT_MS) {
          throw serviceUnavailable('Storing the message took too long; retry shortly.', 1);
        }
      },
    );
    await this.writeMessageState(message!);
    this.options.metrics.messagesSentTotal.inc({ store: 'cassandra' });
    return { message: message!, event, created: true };
  }

  /** Another writer claimed this send: wait for its message, or take over a claim it abandoned. */
  private async awaitClaim(input: NewMessage, claim: Claim): Promise<AppendedMessage> {
    const deadline = Date.now() + CLAIM_WAIT_MS;
    for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
      const sent = await this.sentMessage(input.conversationId, claim.messageId);
      if (sent) return { ...sent, created: false };
      if (Date.now() - claim.claimedAt.getTime() > CLAIM_STALE_MS) return this.recoverClaim(input, claim);
      if (Date.now() > deadline)
        throw serviceUnavailable('The same message is still being stored; retry shortly.', 1);
      await sleep(delay);
    }
  }

  /**
   * Takes over a claim whose writer died: finds its created event if the writer got that far
   * (serial reads settle any write still in flight), else writes it now.
   */
  private async recoverClaim(input: NewMessage, stale: Claim): Promise<AppendedMessage> {
    const claim: Claim = { ...stale, token: randomUUID(), claimedAt: now() };
    const result = await this.run('takeOverClaim', [
      claim.token,
      claim.claimedAt,
      ...this.claimKey(input),
      stale.token,
    ]);
    if (!result.wasApplied()) {
      const row = (
        await this.run('selectClaim', this.claimKey(input), { consistency: consistencies.localSerial })
      ).first();
      if (!row) throw serviceUnavailable('The message could not be stored; retry shortly.', 1);
      return this.awaitClaim(input, this.claimFromRow(row));
    }
    this.options.logger.warn(
      { conversationId: input.conversationId },
      'taking over an abandoned message send',
    );
    const { lastSeq } = await this.probe(input.conversationId);
    for (const bucket of bucketsBetween(stale.floorSeq + 1, lastSeq + 1, this.bucketSize)) {
      const rows = (
        await this.run('selectEventsAfter', [input.conversationId, bucket, stale.floorSeq, this.bucketSize], {
          consistency: consistencies.localSerial,
        })
      ).rows;
      const created = rows.find(
        (row) => row.type === 'message.created' && str(row.message_id) === stale.messageId,
      );
      if (created) {
        const event = eventFromRow(input.conversationId, created);
        const message = messageFromJson((event.data as { message: MessageJson }).message);
        await this.writeMessageState(message);
        return { message, event, created: false };
      }
    }
    return this.completeSend(input, claim);
  }

  async appendEvent(input: {
    conversationId: string;
    type: DurableEventType;
    actorId: string | null;
    data: Record<string, unknown>;
  }): Promise<ConversationEvent> {
    return this.appendToLog(input.conversationId, () => ({
      type: input.type,
      actorId: input.actorId,
      messageId: null,
      data: input.data,
    }));
  }

  /**
   * Appends a change of a live message to the log; null when the message is absent or deleted.
   * `at` is the event's time, which the change's columns repeat.
   */
  private async logMessageChange(
    input: { conversationId: string; messageId: string; actorId: string },
    type: 'message.updated' | 'message.deleted',
    data: (at: Date) => Record<string, unknown>,
  ): Promise<{ current: MessageRecord; event: ConversationEvent; at: Date } | null> {
    const current = await this.getMessage(input.conversationId, input.messageId);
    if (!current || current.deletedAt) return null;
    let at = now();
    const event = await this.appendToLog(input.conversationId, (_seq, createdAt) => {
      at = createdAt;
      return { type, actorId: input.actorId, messageId: null, data: data(createdAt) };
    });
    return { current, event, at };
  }

  async editMessage(input: {
    conversationId: string;
    messageId: string;
    body: string;
    actorId: string;
  }): Promise<MessageChange | null> {
    const change = await this.logMessageChange(input, 'message.updated', (at) =>
      eventData.updated(input.messageId, input.body, at),
    );
    if (!change) return null;
    const { current, event, at: editedAt } = change;
    await this.run('updateMessageBody', [
      cellTimestamp(event.seq),
      input.body,
      editedAt,
      input.conversationId,
      this.bucket(current.seq),
      current.seq,
    ]);
    return { message: { ...current, body: input.body, editedAt }, event };
  }

  async deleteMessage(input: {
    conversationId: string;
    messageId: string;
    actorId: string;
  }): Promise<MessageChange | null> {
    const change = await this.logMessageChange(input, 'message.deleted', (at) =>
      eventData.deleted(input.messageId, at),
    );
    if (!change) return null;
    const { current, event, at: deletedAt } = change;
    await Promise.all([
      this.run('markMessageDeleted', [
        TOMBSTONE_TIMESTAMP,
        deletedAt,
        input.conversationId,
        this.bucket(current.seq),
        current.seq,
      ]),
      this.run('deleteReactions', [TOMBSTONE_TIMESTAMP, input.conversationId, input.messageId]),
    ]);
    return { message: { ...current, body: '', deletedAt, reactions: {} }, event };
  }

  async addReaction(input: {
    conversationId: string;
    messageId: string;
    emoji: string;
    userId: string;
  }): Promise<ConversationEvent | null> {
    const key = [input.conversationId, input.messageId, input.emoji, input.userId];
    const current = await this.messageRowById(input.conversationId, input.messageId);
    if (!current || current.deleted_at) return null;
    if ((await this.run('selectReaction', key)).first()) return null;

    const reactedAt = cassandra.types.TimeUuid.now();
    const won = await this.conditionalWrite(
      () => this.run('insertReaction', [...key, reactedAt]),
      async () => {
        const row = (
          await this.run('selectReaction', key, { consistency: consistencies.localSerial })
        ).first();
        return row ? str(row.reacted_at) === reactedAt.toString() : null;
      },
      (result) => result.wasApplied(),
    );
    if (!won) return null;
    return this.appendToLog(input.conversationId, () => ({
      type: 'reaction.added',
      actorId: input.userId,
      messageId: null,
      data: eventData.reaction(input.messageId, input.emoji, input.userId),
    }));
  }

  async removeReaction(input: {
    conversationId: string;
    messageId: string;
    emoji: string;
    userId: string;
  }): Promise<ConversationEvent | null> {
    const key = [input.conversationId, input.messageId, input.emoji, input.userId];
    if (!(await this.run('selectReaction', key)).first()) return null;
    if (!(await this.run('deleteReaction', key)).wasApplied()) return null;
    return this.appendToLog(input.conversationId, () => ({
      type: 'reaction.removed',
      actorId: input.userId,
      messageId: null,
      data: eventData.reaction(input.messageId, input.emoji, input.userId),
    }));
  }

  // ----- reads --------------------------------------------------------------------------------

  async listMessages(
    conversationId: string,
    page: { beforeSeq?: number; afterSeq?: number; limit: number },
  ): Promise<MessageRecord[]> {
    if (page.limit <= 0) return [];
    const { lastSeq, floorSeq } = await this.probe(conversationId);
    const upper = Math.min(page.beforeSeq ?? Number.POSITIVE_INFINITY, lastSeq + 1);
    const rows: Row[] = [];
    if (page.afterSeq !== undefined) {
      // The oldest `limit` after the cursor.
      const lower = Math.max(page.afterSeq, floorSeq);
      for (const bucket of bucketsBetween(lower + 1, upper - 1, this.bucketSize)) {
        const result = await this.run('selectMessagesAscending', [
          conversationId,
          bucket,
          lower,
          upper,
          page.limit - rows.length,
        ]);
        rows.push(...result.rows);
        if (rows.length >= page.limit) break;
      }
    } else {
      // The newest `limit` before the cursor (or overall), returned ascending.
      for (const bucket of bucketsBetween(floorSeq + 1, upper - 1, this.bucketSize).reverse()) {
        const result = await this.run('selectMessagesDescending', [
          conversationId,
          bucket,
          floorSeq,
          upper,
          page.limit - rows.length,
        ]);
        rows.push(...result.rows);
        if (rows.length >= page.limit) break;
      }
      rows.reverse();
    }
    return this.withReactions(conversationId, rows);
  }

  async eventsAfter(conversationId: string, afterSeq: number, limit: number): Promise<ConversationEvent[]> {
    if (limit <= 0) return [];
    const { lastSeq, floorSeq } = await this.probe(conversationId);
    const lower = Math.max(afterSeq, floorSeq);
    const events: ConversationEvent[] = [];
    for (const bucket of bucketsBetween(lower + 1, lastSeq, this.bucketSize)) {
      const result = await this.run('selectEventsAfter', [
        conversationId,
        bucket,
        lower,
        limit - events.length,
      ]);
      events.push(...result.rows.map((row) => eventFromRow(conversationId, row)));
      if (events.length >= limit) break;
    }
    return events;
  }

  async lastSeq(conversationId: string): Promise<number> {
    return (await this.probe(conversationId)).lastSeq;
  }

  /** Reads at most {@link COUNT_SCAN_LIMIT} messages after the cursor: past that, answers what it counted. */
  async countMessagesAfter(
    conversationId: string,
    afterSeq: number,
    excludeSenderId: string,
    cap: number,
  ): Promise<number> {
    if (cap <= 0) return 0;
    const { lastSeq, floorSeq } = await this.probe(conversationId);
    const lower = Math.max(afterSeq, floorSeq);
    let counted = 0;
    let scanned = 0;
    for (const bucket of bucketsBetween(lower + 1, lastSeq, this.bucketSize)) {
      const rows = (await this.run('selectSendersAscending', [conversationId, bucket, lower, lastSeq])).rows;
      for (const row of rows) {
        if (str(row.sender_id) !== excludeSenderId && !row.deleted_at) counted++;
        if (counted >= cap) return cap;
      }
      scanned += rows.length;
      if (scanned >= COUNT_SCAN_LIMIT) break;
    }
    return counted;
  }

  /**
   * Case-insensitive substring search, newest first. Cassandra has no substring index: this reads
   * the newest {@link SEARCH_SCAN_LIMIT} messages (tombstones included) and filters them here, so
   * older messages are not found.
   */
  async search(conversationId: string, query: string, limit: number): Promise<MessageRecord[]> {
    if (limit <= 0) return [];
    const { lastSeq, floorSeq } = await this.probe(conversationId);
    const found: Row[] = [];
    let scanned = 0;
    for (const bucket of bucketsBetween(floorSeq + 1, lastSeq, this.bucketSize).reverse()) {
      const rows = (
        await this.run('selectMessagesDescending', [
          conversationId,
          bucket,
          floorSeq,
          lastSeq + 1,
          this.bucketSize,
        ])
      ).rows;
      for (const row of rows) {
        if (++scanned > SEARCH_SCAN_LIMIT) break;
        if (!row.deleted_at && matchesQuery(row.body ?? '', query)) found.push(row);
        if (found.length >= limit) break;
      }
      if (found.length >= limit || scanned >= SEARCH_SCAN_LIMIT) break;
    }
    return this.withReactions(conversationId, found);
  }

  /**
   * Removes the conversation's messages, reactions, events and send claims. The floor is raised to
   * the last seq first, so reads skip whatever a crash here would leave (run it again to finish),
   * and seqs never go back: a client's cursor from before stays valid.
   */
  async dropConversation(conversationId: string): Promise<void> {
    const { lastSeq, floorSeq } = await this.probe(conversationId);
    if (lastSeq === floorSeq) return;
    await this.run('updateFloor', [lastSeq, conversationId]);
    for (const bucket of bucketsBetween(floorSeq + 1, lastSeq, this.bucketSize)) {
      const messages = (
        await this.run('selectMessagesAscending', [
          conversationId,
          bucket,
          floorSeq,
          lastSeq + 1,
          this.bucketSize,
        ])
      ).rows;
      await Promise.all(
        messages.map((row) => {
          const messageId = str(row.message_id);
          return Promise.all([
            this.run('deleteReactions', [TOMBSTONE_TIMESTAMP, conversationId, messageId]),
            this.run('deleteLookup', [conversationId, messageId]),
            this.run('deleteClaim', [conversationId, str(row.sender_id), str(row.client_message_id)]),
          ]);
        }),
      );
      await Promise.all([
        this.run('deleteMessagesThrough', [TOMBSTONE_TIMESTAMP, conversationId, bucket, lastSeq]),
        this.run('deleteEventsThrough', [conversationId, bucket, lastSeq]),
      ]);
    }
  }

  async close(): Promise<void> {
    if (this.options.ownsClient !== false) await this.client.shutdown();
  }
}

// ---------------------------------------------------------------------------------------------
// Opening
// ---------------------------------------------------------------------------------------------

export type CassandraConfig = Pick<
  Config,
  | 'CASSANDRA_CONTACT_POINTS'
  | 'CASSANDRA_LOCAL_DC'
  | 'CASSANDRA_KEYSPACE'
  | 'CASSANDRA_USERNAME'
  | 'CASSANDRA_PASSWORD'
  | 'CASSANDRA_REPLICATION_FACTOR'
  | 'CASSANDRA_READ_TIMEOUT_MS'
>;

/** The driver's client for the configured cluster; not yet connected. */
export function createCassandraClient(config: CassandraConfig): Client {
  return new cassandra.Client({
    contactPoints: config.CASSANDRA_CONTACT_POINTS,
    localDataCenter: config.CASSANDRA_LOCAL_DC,
    ...(config.CASSANDRA_USERNAME
      ? { credentials: { username: config.CASSANDRA_USERNAME, password: config.CASSANDRA_PASSWORD ?? '' } }
      : {}),
    // Pooling, retry and load-balancing policies: the driver's defaults (token- and DC-aware).
    socketOptions: { readTimeout: config.CASSANDRA_READ_TIMEOUT_MS },
  });
}

export interface OpenCassandraMessageStoreOptions {
  config: CassandraConfig;
  logger: Logger;
  metrics: Metrics;
  /** Default true: create the keyspace and tables before serving. */
  migrate?: boolean;
  bucketSize?: number;
}

/**
 * Connects, creates the keyspace and tables when missing (the predecessor forgot its keyspace),
 * and returns the store, which owns the client. A failure closes the client and says what failed.
 */
export async function openCassandraMessageStore(
  options: OpenCassandraMessageStoreOptions,
): Promise<CassandraMessageStore> {
  const { config, logger, metrics } = options;
  const client = createCassandraClient(config);
  try {
    await client.connect();
    if (options.migrate !== false) {
      await migrateCassandra(client, config.CASSANDRA_KEYSPACE, config.CASSANDRA_REPLICATION_FACTOR, {
        localDataCenter: config.CASSANDRA_LOCAL_DC,
        logger,
      });
    }
  } catch (error) {
    await client.shutdown().catch(() => undefined);
    if (error instanceof ProblemError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Cassandra at ${config.CASSANDRA_CONTACT_POINTS.join(',')} (CASSANDRA_CONTACT_POINTS): ${reason}`,
      { cause: error },
    );
  }
  logger.info(
    { keyspace: config.CASSANDRA_KEYSPACE, dataCenter: config.CASSANDRA_LOCAL_DC },
    'cassandra message store opened',
  );
  return new CassandraMessageStore({
    client,
    keyspace: config.CASSANDRA_KEYSPACE,
    readTimeoutMs: config.CASSANDRA_READ_TIMEOUT_MS,
    metrics,
    logger,
    bucketSize: options.bucketSize,
  });
}
