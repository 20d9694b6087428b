import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { testObservability } from '../testing/observability';
import { buildStatements, CassandraMessageStore, type StatementName } from './cassandra-message-store';
import type { ConversationEvent } from './events';
import type { NewMessage } from './message-store';
import { messageStoreContract } from './message-store.contract';

/**
 * NOT Cassandra. An in-memory model of the semantics of the adapter's 28 prepared statements —
 * per-partition rows, per-cell write timestamps (last write wins, tombstones win ties), range and
 * partition tombstones, and lightweight transactions that are atomic and answer `[applied]` with
 * the existing row — so the adapter's own logic (seq allocation by conditional insert, send
 * claims, bucket paging, state converging by write timestamp, the drop floor) runs through the
 * whole contract suite on this machine, where no Cassandra can be installed. It proves nothing
 * about CQL syntax, the driver, or Cassandra itself: cassandra-message-store.test.ts runs the
 * same suite against a real cluster whenever CASSANDRA_CONTACT_POINTS is set.
 *
 * Each statement yields to the event loop a random number of times first, so concurrent
 * operations interleave between statements; a fault rate makes that share of lightweight
 * transactions time out after applying or not applying, as a coordinator timeout would.
 */
const KEYSPACE = 'model';
const BUCKET_SIZE = 7;

interface Cell {
  value: unknown;
  ts: number;
}

interface StateRow {
  marker: number | null;
  cells: Map<string, Cell>;
}

type Params = unknown[];
type ModelRow = Record<string, unknown>;

const nowMicros = () => Date.now() * 1000;
const paxosRowKey = (params: Params, n: number) => params.slice(0, n).map(String).join('|');

class ModelResult {
  constructor(readonly rows: ModelRow[]) {}
  first(): ModelRow | null {
    return this.rows[0] ?? null;
  }
  wasApplied(): boolean {
    const applied = this.rows[0]?.['[applied]'];
    return typeof applied === 'boolean' ? applied : true;
  }
}

class CassandraModel {
  readonly heads = new Map<string, { floor: number | null; buckets: Set<number> }>();
  readonly events = new Map<string, Map<number, ModelRow>>();
  readonly messages = new Map<
    string,
    { rows: Map<number, StateRow>; ranges: Array<{ through: number; ts: number }> }
  >();
  readonly lookups = new Map<string, number>();
  readonly claims = new Map<string, ModelRow>();
  readonly reactions = new Map<string, { tombstone: number; rows: Map<string, ModelRow & { ts: number }> }>();
  faultRate = 0;
  executed = 0;

  private readonly names: Map<string, StatementName>;

  constructor() {
    const statements = buildStatements(KEYSPACE);
    this.names = new Map(
      Object.entries(statements).map(([name, statement]) => [statement.cql, name as StatementName]),
    );
  }

  /** A client for the store: its own "connection" onto the shared model. */
  client(): cassandra.Client {
    return {
      execute: (cql: string, params: Params, options: cassandra.QueryOptions) =>
        this.execute(cql, params, options),
      shutdown: async () => {},
    } as unknown as cassandra.Client;
  }

  private async execute(cql: string, params: Params, options: cassandra.QueryOptions): Promise<ModelResult> {
    const name = this.names.get(cql);
    if (!name) throw new Error(`model: unknown statement ${cql}`);
    expect(options).toMatchObject({ prepare: true, readTimeout: 1000 });
    expect(options.isIdempotent).toBe(!/ IF /.test(cql));
    for (let hops = Math.floor(Math.random() * 4); hops > 0; hops--) await new Promise(setImmediate);
    this.executed++;
    const lwt = / IF /.test(cql);
    if (lwt && Math.random() < this.faultRate) {
      if (Math.random() < 0.5) this.apply(name, params);
      throw new cassandra.errors.OperationTimedOutError('model: the coordinator timed out');
    }
    return new ModelResult(this.apply(name, params));
  }

  private partition<K, T>(map: Map<K, T>, key: K, create: () => T): T {
    let value = map.get(key);
    if (!value) {
      value = create();
      map.set(key, value);
    }
    return value;
  }

  private messagePartition(conversationId: unknown, bucket: unknown) {
    return this.partition(this.messages, `${conversationId}|${bucket}`, () => ({
      rows: new Map<number, StateRow>(),
      ranges: [] as Array<{ through: number; ts: number }>,
    }));
  }

  /** A message row as a read sees it: cells older than a covering tombstone are gone. */
  private readMessage(
    partition: ReturnType<CassandraModel['messagePartition']>,
    seq: number,
  ): ModelRow | null {
    const row = partition.rows.get(seq);
    if (!row) return null;
    const tombstone = Math.max(
      -1,
      ...partition.ranges.filter((range) => seq <= range.through).map((range) => range.ts),
    );
    const live = (ts: number | null) => ts !== null && ts > tombstone;
    const columns: ModelRow = { seq };
    let any = live(row.marker);
    for (const [column, cell] of row.cells) {
      columns[column] = live(cell.ts) ? cell.value : null;
      if (live(cell.ts)) any = true;
    }
    return any ? columns : null;
  }

  private writeCells(row: StateRow, ts: number, values: Record<string, unknown>): void {
    for (const [column, value] of Object.entries(values)) {
      if (value === undefined) continue; // unset: nothing written
      const existing = row.cells.get(column);
      if (!existing || existing.ts <= ts) row.cells.set(column, { value, ts });
    }
  }

  private messageRows(params: Params, filter: (seq: number) => boolean, descending = false): ModelRow[] {
    const partition = this.messagePartition(params[0], params[1]);
    const seqs = [...partition.rows.keys()].filter(filter).sort((a, b) => (descending ? b - a : a - b));
    return seqs.map((seq) => this.readMessage(partition, seq)).filter((row): row is ModelRow => row !== null);
  }

  private liveReactions(conversationId: unknown, messageId: unknown) {
    const partition = this.partition(this.reactions, `${conversationId}|${messageId}`, () => ({
      tombstone: -1,
      rows: new Map<string, ModelRow & { ts: number }>(),
    }));
    for (const [key, row] of partition.rows) if (row.ts <= partition.tombstone) partition.rows.delete(key);
    return partition;
  }

  private apply(name: StatementName, p: Params): ModelRow[] {
    switch (name) {
      case 'selectHead': {
        const head = this.heads.get(String(p[0]));
        if (!head) return [];
        const top = Math.max(...head.buckets);
        return [{ bucket: head.buckets.size ? top : null, floor_seq: head.floor }];
      }
      case 'insertHead':
        this.partition(this.heads, String(p[0]), () => ({
          floor: null,
          buckets: new Set<number>(),
        })).buckets.add(Number(p[1]));
        return [];
      case 'updateFloor':
        this.partition(this.heads, String(p[1]), () => ({ floor: null, buckets: new Set<number>() })).floor =
          Number(p[0]);
        return [];
      case 'maxSeqInBucket': {
        const seqs = [...(this.events.get(`${p[0]}|${p[1]}`)?.keys() ?? [])];
        return seqs.length ? [{ seq: Math.max(...seqs) }] : [];
      }
      case 'insertEvent': {
        const partition = this.partition(this.events, `${p[0]}|${p[1]}`, () => new Map<number, ModelRow>());
        const seq = Number(p[2]);
        const existing = partition.get(seq);
        if (existing) return [{ '[applied]': false, ...existing }];
        const [, , , event_id, type, actor_id, message_id, data, created_at] = p;
        partition.set(seq, { seq, event_id, type, actor_id, message_id, data, created_at });
        return [{ '[applied]': true }];
      }
      case 'selectEvent': {
        const row = this.events.get(`${p[0]}|${p[1]}`)?.get(Number(p[2]));
        return row ? [row] : [];
      }
      case 'selectEventsAfter': {
        const rows = [...(this.events.get(`${p[0]}|${p[1]}`)?.values() ?? [])]
          .filter((row) => Number(row.seq) > Number(p[2]))
          .sort((a, b) => Number(a.seq) - Number(b.seq));
        return rows.slice(0, Number(p[3]));
      }
      case 'deleteEventsThrough': {
        const partition = this.events.get(`${p[0]}|${p[1]}`);
        for (const seq of [...(partition?.keys() ?? [])]) if (seq <= Number(p[2])) partition!.delete(seq);
        return [];
      }
      case 'insertMessage': {
        const [
          conversationId,
          bucket,
          seq,
          message_id,
          sender_id,
          client_message_id,
          body,
          reply_to_id,
          files,
          poll_id,
          created_at,
        ] = p;
        const ts = Number(p[13]);
        const partition = this.messagePartition(conversationId, bucket);
        const row = this.partition(partition.rows, Number(seq), () => ({
          marker: null,
          cells: new Map(),
        }));
        row.marker = Math.max(row.marker ?? -1, ts);
        this.writeCells(row, ts, {
          message_id,
          sender_id,
          client_message_id,
          body,
          reply_to_id,
          attachment_file_ids: files,
          poll_id,
          created_at,
          edited_at: p[11],
          deleted_at: p[12],
        });
        return [];
      }
      case 'selectMessage': {
        const row = this.readMessage(this.messagePartition(p[0], p[1]), Number(p[2]));
        return row ? [row] : [];
      }
      case 'selectMessagesAscending':
        return this.messageRows(p, (seq) => seq > Number(p[2]) && seq < Number(p[3])).slice(0, Number(p[4]));
      case 'selectMessagesDescending':
        return this.messageRows(p, (seq) => seq > Number(p[2]) && seq < Number(p[3]), true).slice(
          0,
          Number(p[4]),
        );
      case 'selectSendersAscending':
        return this.messageRows(p, (seq) => seq > Number(p[2]) && seq <= Number(p[3]));
      case 'updateMessageBody':
      case 'markMessageDeleted': {
        const [ts, ...rest] = p;
        const [conversationId, bucket, seq] = rest.slice(-3);
        const partition = this.messagePartition(conversationId, bucket);
        const row = this.partition(partition.rows, Number(seq), () => ({
          marker: null,
          cells: new Map(),
        }));
        this.writeCells(
          row,
          Number(ts),
          name === 'updateMessageBody'
            ? { body: rest[0], edited_at: rest[1] }
            : { body: '', deleted_at: rest[0] },
        );
        return [];
      }
      case 'deleteMessagesThrough':
        this.messagePartition(p[1], p[2]).ranges.push({ through: Number(p[3]), ts: Number(p[0]) });
        return [];
      case 'insertLookup':
        this.lookups.set(`${p[0]}|${p[1]}`, Number(p[2]));
        return [];
      case 'selectLookup': {
        const seq = this.lookups.get(`${p[0]}|${p[1]}`);
        return seq === undefined ? [] : [{ seq }];
      }
      case 'deleteLookup':
        this.lookups.delete(`${p[0]}|${p[1]}`);
        return [];
      case 'selectClaim': {
        const claim = this.claims.get(paxosRowKey(p, 3));
        return claim ? [claim] : [];
      }
      case 'insertClaim': {
        const key = paxosRowKey(p, 3);
        const existing = this.claims.get(key);
        if (existing) return [{ '[applied]': false, ...existing }];
        const [, , , message_id, claim_token, claimed_at, floor_seq] = p;
        this.claims.set(key, { message_id, claim_token, claimed_at, floor_seq });
        return [{ '[applied]': true }];
      }
      case 'takeOverClaim': {
        const claim = this.claims.get(paxosRowKey(p.slice(2), 3));
        if (!claim || String(claim.claim_token) !== String(p[5])) {
          return [{ '[applied]': false, claim_token: claim?.claim_token ?? null }];
        }
        claim.claim_token = p[0];
        claim.claimed_at = p[1];
        return [{ '[applied]': true }];
      }
      case 'deleteClaim': {
        const existed = this.claims.delete(paxosRowKey(p, 3));
        return [{ '[applied]': existed }];
      }
      case 'selectReactions':
        return [...this.liveReactions(p[0], p[1]).rows.values()];
      case 'selectReaction': {
        const row = this.liveReactions(p[0], p[1]).rows.get(`${p[2]}|${p[3]}`);
        return row ? [row] : [];
      }
      case 'insertReaction': {
        const partition = this.liveReactions(p[0], p[1]);
        const existing = partition.rows.get(`${p[2]}|${p[3]}`);
        if (existing) return [{ '[applied]': false, ...existing }];
        const ts = nowMicros();
        // A write the partition's tombstone already covers is invisible, as in Cassandra.
        if (ts > partition.tombstone) {
          partition.rows.set(`${p[2]}|${p[3]}`, { emoji: p[2], user_id: p[3], reacted_at: p[4], ts });
        }
        return [{ '[applied]': true }];
      }
      case 'deleteReaction': {
        const existed = this.liveReactions(p[0], p[1]).rows.delete(`${p[2]}|${p[3]}`);
        return [{ '[applied]': existed }];
      }
      case 'deleteReactions': {
        const partition = this.liveReactions(p[1], p[2]);
        partition.tombstone = Math.max(partition.tombstone, Number(p[0]));
        this.liveReactions(p[1], p[2]);
        return [];
      }
    }
  }
}

function modelStore(model: CassandraModel): CassandraMessageStore {
  return new CassandraMessageStore({
    client: model.client(),
    keyspace: KEYSPACE,
    readTimeoutMs: 1000,
    bucketSize: BUCKET_SIZE,
    ...testObservability(),
  });
}

describe('CassandraMessageStore logic on an in-memory model of its CQL statements (not Cassandra)', () => {
  const model = new CassandraModel();
  messageStoreContract('CassandraMessageStore on the statement model', async () => {
    const store = modelStore(model);
    return { store, close: () => store.close() };
  });

  describe('with a share of lightweight transactions timing out (applied or not)', () => {
    const send = (
      conversationId: string,
      senderId: string,
      body: string,
      clientMessageId: string = randomUUID(),
    ) =>
      ({
        conversationId,
        senderId,
        clientMessageId,
        body,
        replyToId: null,
        attachmentFileIds: [],
        pollId: null,
      }) satisfies NewMessage;

    it('still gives 250 concurrent sends from 5 writers, each retried until stored, seqs 1..N with no gap, each once', async () => {
      const faulty = new CassandraModel();
      faulty.faultRate = 0.05;
      const conversationId = randomUUID();
      const writers = Array.from({ length: 5 }, () => modelStore(faulty));
      const results = await Promise.all(
        writers.map(async (writer, w) => {
          const sent = [];
          const sender = randomUUID();
          for (let i = 0; i < 50; i++) {
            const input = send(conversationId, sender, `w${w} m${i}`);
            // As a client does: the same clientMessageId again until it is acknowledged.
            for (let attempt = 1; ; attempt++) {
              try {
                sent.push(await writer.appendMessage(input));
                break;
              } catch (error) {
                if (attempt >= 5) throw error;
              }
            }
          }
          return sent;
        }),
      );
      const seqs = results.flat().map((result) => result.event.seq);
      expect(seqs.toSorted((a, b) => a - b)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));

      faulty.faultRate = 0;
      const reader = writers[0]!;
      expect(await reader.lastSeq(conversationId)).toBe(250);
      const events = await reader.eventsAfter(conversationId, 0, 1000);
      expect(events.map((event) => event.seq)).toEqual(seqs.toSorted((a, b) => a - b));
      const listed = await reader.listMessages(conversationId, { afterSeq: 0, limit: 1000 });
      expect(new Set(listed.map((message) => message.body)).size).toBe(250);
    });

    it('still stores a send retried by several writers at once exactly once', async () => {
      const faulty = new CassandraModel();
      faulty.faultRate = 0.3;
      const writers = Array.from({ length: 5 }, () => modelStore(faulty));
      for (let round = 0; round < 20; round++) {
        const conversationId = randomUUID();
        const input = send(conversationId, randomUUID(), `round ${round}`);
        const settled = await Promise.allSettled(writers.map((writer) => writer.appendMessage(input)));
        const sent = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
        faulty.faultRate = 0;
        const events = await writers[0]!.eventsAfter(conversationId, 0, 10);
        const messages = await writers[0]!.listMessages(conversationId, { limit: 10 });
        faulty.faultRate = 0.3;

        expect(events.length).toBeLessThanOrEqual(1);
        expect(messages.length).toBeLessThanOrEqual(events.length);
        expect(sent.filter((result) => result.created).length).toBeLessThanOrEqual(1);
        expect(new Set(sent.map((result) => result.message.id)).size).toBeLessThanOrEqual(1);
        if (sent.length > 0) expect(events.map((event) => event.seq)).toEqual([1]);
      }
    });
  });

  describe('recovering a send whose first writer died', () => {
    const input = () =>
      ({
        conversationId: randomUUID(),
        senderId: randomUUID(),
        clientMessageId: randomUUID(),
        body: 'orphaned',
        replyToId: null,
        attachmentFileIds: [],
        pollId: null,
      }) satisfies NewMessage;
    const claimKey = (message: NewMessage) =>
      [message.conversationId, message.senderId, message.clientMessageId].join('|');
    const longAgo = () => new Date(Date.now() - 60_000);

    it('writes the message itself when the dead writer had claimed it but written no event', async () => {
      const model = new CassandraModel();
      const store = modelStore(model);
      const message = input();
      const abandoned = randomUUID();
      model.claims.set(claimKey(message), {
        message_id: abandoned,
        claim_token: randomUUID(),
        claimed_at: longAgo(),
        floor_seq: 0,
      });

      const sent = await store.appendMessage(message);
      expect(sent).toMatchObject({ created: true, message: { id: abandoned, seq: 1, body: 'orphaned' } });
      expect(await store.eventsAfter(message.conversationId, 0, 10)).toEqual([sent.event]);
      expect(await store.appendMessage(message)).toEqual({ ...sent, created: false });
    });

    it('completes the message from its event when the dead writer got that far', async () => {
      const model = new CassandraModel();
      const store = modelStore(model);
      const message = input();
      const first = await store.appendMessage(message);
      // As if the writer had died right after its event: no message row, no lookup, an old claim.
      model.lookups.clear();
      model.messages.clear();
      model.claims.get(claimKey(message))!.claimed_at = longAgo();
      expect(await store.getMessage(message.conversationId, first.message.id)).toBeNull();

      const again = await store.appendMessage(message);
      expect(again).toEqual({ ...first, created: false });
      expect(await store.getMessage(message.conversationId, first.message.id)).toEqual(first.message);
      expect(await store.lastSeq(message.conversationId)).toBe(1);
    });

    it('answers 503 while the first writer may still be working', async () => {
      const model = new CassandraModel();
      const store = modelStore(model);
      const message = input();
      model.claims.set(claimKey(message), {
        message_id: randomUUID(),
        claim_token: randomUUID(),
        claimed_at: new Date(),
        floor_seq: 0,
      });
      await expect(store.appendMessage(message)).rejects.toMatchObject({ status: 503 });
      expect(await store.lastSeq(message.conversationId)).toBe(0);
    });
  });

  it('ends with the state the log folds to, when edits, deletes and reactions race', async () => {
    const shared = new CassandraModel();
    const writers = Array.from({ length: 4 }, () => modelStore(shared));
    const users = Array.from({ length: 3 }, () => randomUUID());
    for (let round = 0; round < 25; round++) {
      const conversationId = randomUUID();
      const author = users[0]!;
      const { message } = await writers[0]!.appendMessage({
        conversationId,
        senderId: author,
        clientMessageId: randomUUID(),
        body: 'original',
        replyToId: null,
        attachmentFileIds: [],
        pollId: null,
      });
      const target = { conversationId, messageId: message.id };
      const operations = [
        ...writers.map(
          (writer, w) => () => writer.editMessage({ ...target, body: `edit ${w}`, actorId: author }),
        ),
        ...users.map((userId, u) => () => writers[u]!.addReaction({ ...target, emoji: '👍', userId })),
        // (An add and a remove of the same user's same reaction at the same instant is the one race
        // whose state may differ from the log: see the class comment of CassandraMessageStore.)
        () => writers[3]!.removeReaction({ ...target, emoji: '🎉', userId: users[1]! }),
        () => writers[2]!.addReaction({ ...target, emoji: '🎉', userId: users[2]! }),
        ...(round % 2 ? [() => writers[1]!.deleteMessage({ ...target, actorId: author })] : []),
      ];
      await Promise.all(operations.toSorted(() => Math.random() - 0.5).map((operation) => operation()));

      const events = await writers[0]!.eventsAfter(conversationId, 0, 100);
      expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i + 1));
      const folded = foldLog(events);
      const stored = (await writers[0]!.getMessage(conversationId, message.id))!;
      expect({ body: stored.body, deleted: stored.deletedAt !== null }).toEqual({
        body: folded.body,
        deleted: folded.deleted,
      });
      expect(
        Object.fromEntries(Object.entries(stored.reactions).map(([emoji, ids]) => [emoji, ids.toSorted()])),
      ).toEqual(folded.reactions);
    }
  });
});

/** The current state of one message as a client gets it by applying the log (rules: store-support.ts). */
function foldLog(events: ConversationEvent[]) {
  let body = '';
  let deleted = false;
  const reactions = new Map<string, Set<string>>();
  for (const { type, data } of events) {
    const d = data as { message?: { body: string }; body?: string; emoji?: string; userId?: string };
    if (type === 'message.created') body = d.message!.body;
    if (type === 'message.updated' && !deleted) body = d.body!;
    if (type === 'message.deleted') {
      deleted = true;
      body = '';
      reactions.clear();
    }
    if (type === 'reaction.added' && !deleted) {
      reactions.set(d.emoji!, (reactions.get(d.emoji!) ?? new Set()).add(d.userId!));
    }
    if (type === 'reaction.removed') {
      reactions.get(d.emoji!)?.delete(d.userId!);
      if (reactions.get(d.emoji!)?.size === 0) reactions.delete(d.emoji!);
    }
  }
  return {
    body,
    deleted,
    reactions: Object.fromEntries([...reactions].map(([emoji, ids]) => [emoji, [...ids].toSorted()])),
  };
}
