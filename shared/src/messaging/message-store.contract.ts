import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationEvent } from './events';
import type { MessageRecord, MessageStore, NewMessage } from './message-store';

/** One handle on the store under test; several handles reach the same data (like several processes). */
export interface OpenedMessageStore {
  store: MessageStore;
  close: () => Promise<void>;
}

const WRITERS = 5;
const SENDS_PER_WRITER = 100;

function newMessage(
  conversationId: string,
  senderId: string,
  body: string,
  clientMessageId: string = randomUUID(),
) {
  return {
    conversationId,
    senderId,
    clientMessageId,
    body,
    replyToId: null,
    attachmentFileIds: [],
    pollId: null,
  } satisfies NewMessage;
}

/** Every event of a conversation, fetched page by page as a reconnecting client would. */
async function allEvents(
  store: MessageStore,
  conversationId: string,
  pageSize = 97,
): Promise<ConversationEvent[]> {
  const events: ConversationEvent[] = [];
  for (;;) {
    const page = await store.eventsAfter(conversationId, events.at(-1)?.seq ?? 0, pageSize);
    events.push(...page);
    if (page.length < pageSize) return events;
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/**
 * The behaviour every {@link MessageStore} owes its callers (SPEC §6, §7), run by each adapter's
 * test file so the SQL and Cassandra adapters cannot drift apart. `open` returns a new handle
 * (its own connections where the adapter allows) on the same underlying data each time it is
 * called; the concurrency cases use several, as several processes would.
 */
export function messageStoreContract(name: string, open: () => Promise<OpenedMessageStore>): void {
  describe(`${name} (MessageStore contract)`, () => {
    let opened: OpenedMessageStore;
    let store: MessageStore;
    const alice = randomUUID();
    const bob = randomUUID();
    const carol = randomUUID();

    beforeAll(async () => {
      opened = await open();
      store = opened.store;
    });
    afterAll(async () => {
      await opened?.close();
    });

    it('reads back an appended message by id and in the list, with its created event', async () => {
      const conversationId = randomUUID();
      const replyTo = randomUUID();
      const attachment = randomUUID();
      const sent = await store.appendMessage({
        ...newMessage(conversationId, alice, 'Hello, Bob'),
        replyToId: replyTo,
        attachmentFileIds: [attachment],
      });

      expect(sent.created).toBe(true);
      expect(sent.message).toMatchObject({
        conversationId,
        seq: 1,
        senderId: alice,
        body: 'Hello, Bob',
        replyToId: replyTo,
        attachmentFileIds: [attachment],
        editedAt: null,
        deletedAt: null,
        reactions: {},
      });
      expect(sent.event).toMatchObject({ conversationId, seq: 1, type: 'message.created', actorId: alice });
      expect(sent.event.data).toEqual({
        message: expect.objectContaining({ id: sent.message.id, body: 'Hello, Bob', seq: 1 }),
      });
      expect(sent.event.createdAt).toEqual(sent.message.createdAt);

      expect(await store.getMessage(conversationId, sent.message.id)).toEqual(sent.message);
      expect(await store.listMessages(conversationId, { limit: 10 })).toEqual([sent.message]);
      expect(await store.eventsAfter(conversationId, 0, 10)).toEqual([sent.event]);
      expect(await store.getMessage(conversationId, randomUUID())).toBeNull();
    });

    it('reads back the poll a message posted, and null for an ordinary message, everywhere it appears', async () => {
      const conversationId = randomUUID();
      const pollId = randomUUID();
      const input = { ...newMessage(conversationId, alice, 'Lunch?'), pollId };
      const poll = await store.appendMessage(input);
      const ordinary = await store.appendMessage(newMessage(conversationId, bob, 'Pizza'));

      expect([poll.message.pollId, ordinary.message.pollId]).toEqual([pollId, null]);
      expect((await store.getMessage(conversationId, poll.message.id))?.pollId).toBe(pollId);
      expect((await store.getMessage(conversationId, ordinary.message.id))?.pollId).toBeNull();
      const listed = await store.listMessages(conversationId, { limit: 10 });
      expect(listed.map((message) => message.pollId)).toEqual([pollId, null]);
      expect(listed).toEqual([poll.message, ordinary.message]);

      const events = await store.eventsAfter(conversationId, 0, 10);
      const created = (event: ConversationEvent) => (event.data as { message: { pollId: unknown } }).message;
      expect(events.map((event) => created(event).pollId)).toEqual([pollId, null]);
      expect(events).toEqual([poll.event, ordinary.event]);
      // A repeated send answers with the stored message, poll included.
      expect((await store.appendMessage(input)).message).toEqual(poll.message);
    });

    it('numbers every durable change of a conversation 1, 2, 3 … across messages and other events', async () => {
      const conversationId = randomUUID();
      expect(await store.lastSeq(conversationId)).toBe(0);

      const first = await store.appendMessage(newMessage(conversationId, alice, 'one'));
      const joined = await store.appendEvent({
        conversationId,
        type: 'member.added',
        actorId: alice,
        data: { userIds: [bob], at: new Date('2030-01-02T03:04:05.678Z') },
      });
      const second = await store.appendMessage(newMessage(conversationId, bob, 'two'));
      const read = await store.appendEvent({ conversationId, type: 'read', actorId: null, data: { seq: 3 } });

      expect([first.event.seq, joined.seq, second.event.seq, read.seq]).toEqual([1, 2, 3, 4]);
      expect(joined).toMatchObject({ type: 'member.added', actorId: alice });
      // Data reads back as JSON, the same from the append as from the log.
      expect(joined.data).toEqual({ userIds: [bob], at: '2030-01-02T03:04:05.678Z' });
      expect(read.actorId).toBeNull();
      expect(await store.eventsAfter(conversationId, 0, 10)).toEqual([
        first.event,
        joined,
        second.event,
        read,
      ]);
      expect(await store.lastSeq(conversationId)).toBe(4);
    });

    it(`gives ${WRITERS * SENDS_PER_WRITER} concurrent sends from ${WRITERS} writers seqs 1..N with no gap or repeat, each message once`, async () => {
      const conversationId = randomUUID();
      const writers = await Promise.all(range(1, WRITERS).map(() => open()));
      try {
        const senders = writers.map(() => randomUUID());
        const sent = await Promise.all(
          writers.map(async ({ store: writer }, w) => {
            const results = [];
            for (let i = 0; i < SENDS_PER_WRITER; i++) {
              results.push(
                await writer.appendMessage(newMessage(conversationId, senders[w]!, `w${w} m${i}`)),
              );
            }
            return results;
          }),
        );
        const total = WRITERS * SENDS_PER_WRITER;

        const seqs = sent.flat().map((result) => result.event.seq);
        expect(seqs.toSorted((a, b) => a - b)).toEqual(range(1, total));
        // Each writer's own sends are ordered as it made them.
        for (const results of sent) {
          const own = results.map((result) => result.message.seq);
          expect(own).toEqual(own.toSorted((a, b) => a - b));
        }

        const events = await allEvents(store, conversationId);
        expect(events.map((event) => event.seq)).toEqual(range(1, total));
        expect(await store.lastSeq(conversationId)).toBe(total);

        const listed: MessageRecord[] = [];
        for (;;) {
          const page = await store.listMessages(conversationId, {
            afterSeq: listed.at(-1)?.seq ?? 0,
            limit: 64,
          });
          listed.push(...page);
          if (page.length < 64) break;
        }
        expect(listed.map((message) => message.seq)).toEqual(range(1, total));
        expect(new Set(listed.map((message) => message.body)).size).toBe(total);
        expect(new Set(listed.map((message) => message.id)).size).toBe(total);
      } finally {
        await Promise.all(writers.map((writer) => writer.close()));
      }
    });

    it('returns the first message for the same clientMessageId sent again, with no new event', async () => {
      const conversationId = randomUUID();
      const input = newMessage(conversationId, alice, 'once');
      const first = await store.appendMessage(input);
      const again = await store.appendMessage({ ...input, body: 'once (retried)' });

      expect(again.created).toBe(false);
      expect(again.message).toEqual(first.message);
      expect(again.event).toEqual(first.event);
      expect(await store.eventsAfter(conversationId, 0, 10)).toEqual([first.event]);
      expect(await store.listMessages(conversationId, { limit: 10 })).toHaveLength(1);
      // The repeat took no seq.
      expect(await store.lastSeq(conversationId)).toBe(1);
    });

    it('creates one message and one event, and leaves no seq gap, when the same send races from several writers', async () => {
      const conversationId = randomUUID();
      const writers = await Promise.all(range(1, WRITERS).map(() => open()));
      try {
        await store.appendEvent({ conversationId, type: 'conversation.updated', actorId: alice, data: {} });
        const input = newMessage(conversationId, alice, 'racing');
        const results = await Promise.all(
          writers.flatMap(({ store: writer }) => [writer.appendMessage(input), writer.appendMessage(input)]),
        );

        expect(results.filter((result) => result.created)).toHaveLength(1);
        expect(new Set(results.map((result) => result.message.id)).size).toBe(1);
        expect(new Set(results.map((result) => result.event.seq))).toEqual(new Set([2]));
        expect((await store.eventsAfter(conversationId, 0, 10)).map((event) => event.seq)).toEqual([1, 2]);
        expect(await store.listMessages(conversationId, { limit: 10 })).toHaveLength(1);
        expect(await store.lastSeq(conversationId)).toBe(2);
        const next = await store.appendMessage(newMessage(conversationId, alice, 'after the race'));
        expect(next.event.seq).toBe(3);
      } finally {
        await Promise.all(writers.map((writer) => writer.close()));
      }
    });

    it('lets different senders use the same clientMessageId', async () => {
      const conversationId = randomUUID();
      const clientMessageId = randomUUID();
      const fromAlice = await store.appendMessage(newMessage(conversationId, alice, 'a', clientMessageId));
      const fromBob = await store.appendMessage(newMessage(conversationId, bob, 'b', clientMessageId));

      expect(fromBob.created).toBe(true);
      expect(fromBob.message.id).not.toBe(fromAlice.message.id);
      expect((await store.listMessages(conversationId, { limit: 10 })).map((m) => m.body)).toEqual([
        'a',
        'b',
      ]);
    });

    it('records an edit as message.updated with the new body and editedAt', async () => {
      const conversationId = randomUUID();
      const { message } = await store.appendMessage(newMessage(conversationId, alice, 'typo'));
      const change = await store.editMessage({
        conversationId,
        messageId: message.id,
        body: 'fixed',
        actorId: alice,
      });

      expect(change).not.toBeNull();
      expect(change!.event).toMatchObject({ seq: 2, type: 'message.updated', actorId: alice });
      expect(change!.event.data).toEqual({
        messageId: message.id,
        body: 'fixed',
        editedAt: change!.message.editedAt!.toISOString(),
      });
      expect(change!.message).toEqual({ ...message, body: 'fixed', editedAt: change!.message.editedAt });
      expect(change!.message.editedAt!.getTime()).toBeGreaterThanOrEqual(message.createdAt.getTime());
      expect(await store.getMessage(conversationId, message.id)).toEqual(change!.message);
      expect(await store.eventsAfter(conversationId, 1, 10)).toEqual([change!.event]);

      const elsewhere = randomUUID();
      expect(
        await store.editMessage({
          conversationId: elsewhere,
          messageId: message.id,
          body: 'x',
          actorId: alice,
        }),
      ).toBeNull();
      expect(
        await store.editMessage({ conversationId, messageId: randomUUID(), body: 'x', actorId: alice }),
      ).toBeNull();
      expect(await store.lastSeq(conversationId)).toBe(2);
      expect(await store.lastSeq(elsewhere)).toBe(0);
    });

    it('leaves a tombstone on delete with a message.deleted event; a second delete is null', async () => {
      const conversationId = randomUUID();
      const { message } = await store.appendMessage(newMessage(conversationId, alice, 'regrettable'));
      await store.addReaction({ conversationId, messageId: message.id, emoji: '👍', userId: bob });
      const change = await store.deleteMessage({ conversationId, messageId: message.id, actorId: alice });

      expect(change!.event).toMatchObject({ seq: 3, type: 'message.deleted', actorId: alice });
      expect(change!.event.data).toEqual({
        messageId: message.id,
        deletedAt: change!.message.deletedAt!.toISOString(),
      });
      const tombstone = { ...message, body: '', deletedAt: change!.message.deletedAt, reactions: {} };
      expect(change!.message).toEqual(tombstone);
      expect(await store.getMessage(conversationId, message.id)).toEqual(tombstone);
      expect(await store.listMessages(conversationId, { limit: 10 })).toEqual([tombstone]);

      expect(await store.deleteMessage({ conversationId, messageId: message.id, actorId: alice })).toBeNull();
      expect(
        await store.editMessage({ conversationId, messageId: message.id, body: 'back', actorId: alice }),
      ).toBeNull();
      expect(
        await store.addReaction({ conversationId, messageId: message.id, emoji: '👍', userId: carol }),
      ).toBeNull();
      expect(
        await store.deleteMessage({ conversationId, messageId: randomUUID(), actorId: alice }),
      ).toBeNull();
      expect(await store.lastSeq(conversationId)).toBe(3);
    });

    it('adds and removes reactions idempotently, in reaction order, with one event per change', async () => {
      const conversationId = randomUUID();
      const { message } = await store.appendMessage(newMessage(conversationId, alice, 'react to me'));
      const react = (emoji: string, userId: string) =>
        store.addReaction({ conversationId, messageId: message.id, emoji, userId });
      const unreact = (emoji: string, userId: string) =>
        store.removeReaction({ conversationId, messageId: message.id, emoji, userId });

      const added = await react('👍', bob);
      expect(added).toMatchObject({ seq: 2, type: 'reaction.added', actorId: bob });
      expect(added!.data).toEqual({ messageId: message.id, emoji: '👍', userId: bob });
      expect(await react('👍', bob)).toBeNull();
      await react('🎉', carol);
      await react('👍', alice);
      await react('👍', carol);
      expect((await store.getMessage(conversationId, message.id))!.reactions).toEqual({
        '👍': [bob, alice, carol],
        '🎉': [carol],
      });

      const removed = await unreact('👍', alice);
      expect(removed).toMatchObject({ seq: 6, type: 'reaction.removed', actorId: alice });
      expect(removed!.data).toEqual({ messageId: message.id, emoji: '👍', userId: alice });
      expect(await unreact('👍', alice)).toBeNull();
      expect(await unreact('❤️', bob)).toBeNull();
      expect(
        await store.removeReaction({ conversationId, messageId: randomUUID(), emoji: '👍', userId: bob }),
      ).toBeNull();
      expect(
        await store.addReaction({ conversationId, messageId: randomUUID(), emoji: '👍', userId: bob }),
      ).toBeNull();

      const [listed] = await store.listMessages(conversationId, { limit: 1 });
      expect(listed!.reactions).toEqual({ '👍': [bob, carol], '🎉': [carol] });
      expect(await store.lastSeq(conversationId)).toBe(6);
      expect((await store.eventsAfter(conversationId, 0, 10)).map((event) => event.type)).toEqual([
        'message.created',
        'reaction.added',
        'reaction.added',
        'reaction.added',
        'reaction.added',
        'reaction.removed',
      ]);
    });

    it('records one reaction.added when the same reaction races from several writers', async () => {
      const conversationId = randomUUID();
      const writers = await Promise.all(range(1, WRITERS).map(() => open()));
      try {
        const { message } = await store.appendMessage(newMessage(conversationId, alice, 'popular'));
        const reaction = { conversationId, messageId: message.id, emoji: '🔥', userId: bob };
        const added = await Promise.all(writers.map(({ store: writer }) => writer.addReaction(reaction)));
        expect(added.filter((event) => event !== null)).toHaveLength(1);

        const removed = await Promise.all(
          writers.map(({ store: writer }) => writer.removeReaction(reaction)),
        );
        expect(removed.filter((event) => event !== null)).toHaveLength(1);
        expect((await store.eventsAfter(conversationId, 0, 10)).map((event) => event.type)).toEqual([
          'message.created',
          'reaction.added',
          'reaction.removed',
        ]);
        expect((await store.getMessage(conversationId, message.id))!.reactions).toEqual({});
      } finally {
        await Promise.all(writers.map((writer) => writer.close()));
      }
    });

    it('pages messages exactly with beforeSeq, afterSeq and limit, across many seqs and other events', async () => {
      const conversationId = randomUUID();
      const messages: MessageRecord[] = [];
      // 40 seqs: messages with a non-message event after every third, so pages skip seqs.
      for (let i = 0; i < 30; i++) {
        messages.push(
          (await store.appendMessage(newMessage(conversationId, i % 2 ? alice : bob, `m${i}`))).message,
        );
        if (i % 3 === 2) await store.appendEvent({ conversationId, type: 'read', actorId: bob, data: { i } });
      }
      const seqs = messages.map((message) => message.seq);
      expect(await store.lastSeq(conversationId)).toBe(40);

      // Newest first, as a client scrolls back.
      const backwards: number[][] = [];
      let before: number | undefined;
      for (;;) {
        const page = await store.listMessages(conversationId, { beforeSeq: before, limit: 4 });
        if (page.length === 0) break;
        backwards.push(page.map((message) => message.seq));
        before = page[0]!.seq;
      }
      expect(backwards[0]).toEqual(seqs.slice(-4));
      expect(backwards.toReversed().flat()).toEqual(seqs);
      expect(backwards.every((page, i) => page.length === (i === backwards.length - 1 ? 2 : 4))).toBe(true);

      // Oldest first, as a client catches up.
      const forwards: number[] = [];
      let after = 0;
      for (;;) {
        const page = await store.listMessages(conversationId, { afterSeq: after, limit: 7 });
        expect(page.length).toBeLessThanOrEqual(7);
        if (page.length === 0) break;
        forwards.push(...page.map((message) => message.seq));
        after = page.at(-1)!.seq;
      }
      expect(forwards).toEqual(seqs);

      // Both bounds: the oldest `limit` strictly between them.
      const between = await store.listMessages(conversationId, {
        afterSeq: seqs[4]!,
        beforeSeq: seqs[20]!,
        limit: 100,
      });
      expect(between.map((message) => message.seq)).toEqual(seqs.slice(5, 20));
      expect(
        await store.listMessages(conversationId, { afterSeq: seqs[4]!, beforeSeq: seqs[20]!, limit: 3 }),
      ).toEqual(between.slice(0, 3));
      expect(await store.listMessages(conversationId, { beforeSeq: seqs[0]!, limit: 5 })).toEqual([]);
      expect(await store.listMessages(conversationId, { afterSeq: 40, limit: 5 })).toEqual([]);
      expect(await store.listMessages(conversationId, { limit: 0 })).toEqual([]);
      // Pages are the messages themselves.
      expect(await store.listMessages(conversationId, { afterSeq: 0, limit: 30 })).toEqual(messages);
    });

    it('returns exactly the events after a seq, in order, at most limit', async () => {
      const conversationId = randomUUID();
      const appended: ConversationEvent[] = [];
      for (let i = 0; i < 12; i++) {
        appended.push(
          i % 4 === 3
            ? await store.appendEvent({ conversationId, type: 'poll.updated', actorId: null, data: { i } })
            : (await store.appendMessage(newMessage(conversationId, alice, `e${i}`))).event,
        );
      }
      expect(await store.eventsAfter(conversationId, 5, 100)).toEqual(appended.slice(5));
      expect(await store.eventsAfter(conversationId, 5, 3)).toEqual(appended.slice(5, 8));
      expect(await store.eventsAfter(conversationId, 12, 100)).toEqual([]);
      expect(await store.eventsAfter(conversationId, 0, 0)).toEqual([]);
      expect(await allEvents(store, conversationId, 5)).toEqual(appended);
    });

    it('counts unread messages after a seq, without own or deleted ones, up to the cap', async () => {
      const conversationId = randomUUID();
      await store.appendMessage(newMessage(conversationId, bob, 'before the cursor'));
      const mine = await store.appendMessage(newMessage(conversationId, alice, 'mine'));
      const theirs = [];
      for (let i = 0; i < 6; i++)
        theirs.push(await store.appendMessage(newMessage(conversationId, i % 2 ? bob : carol, `t${i}`)));
      await store.appendEvent({ conversationId, type: 'read', actorId: bob, data: {} });
      await store.deleteMessage({ conversationId, messageId: theirs[0]!.message.id, actorId: carol });

      const cursor = 1;
      expect(await store.countMessagesAfter(conversationId, cursor, alice, 100)).toBe(5);
      expect(await store.countMessagesAfter(conversationId, cursor, alice, 3)).toBe(3);
      expect(await store.countMessagesAfter(conversationId, 0, alice, 100)).toBe(6);
      expect(await store.countMessagesAfter(conversationId, mine.message.seq, bob, 100)).toBe(2);
      expect(await store.countMessagesAfter(conversationId, 100, alice, 100)).toBe(0);
      expect(await store.countMessagesAfter(randomUUID(), 0, alice, 100)).toBe(0);
    });

    it('searches case-insensitively for a literal substring, newest first, skipping deleted messages', async () => {
      const conversationId = randomUUID();
      const send = async (body: string) =>
        (await store.appendMessage(newMessage(conversationId, alice, body))).message;
      const hundred = await send('We are 100% sure');
      await send('100 percent, more or less');
      await send('1000 reasons');
      const underscore = await send('snake_case wins');
      await send('snakeXcase loses');
      const backslash = await send('a\\b path');
      const older = await send('The Quick brown fox');
      const newer = await send('quick, QUICKER, quickest');
      const gone = await send('quick but deleted');
      await store.deleteMessage({ conversationId, messageId: gone.id, actorId: alice });
      await store.appendMessage(newMessage(randomUUID(), alice, 'quick in another conversation'));

      expect(await store.search(conversationId, 'QUICK', 10)).toEqual([newer, older]);
      expect(await store.search(conversationId, 'quick', 1)).toEqual([newer]);
      expect(await store.search(conversationId, '100%', 10)).toEqual([hundred]);
      expect(await store.search(conversationId, 'e_c', 10)).toEqual([underscore]);
      expect(await store.search(conversationId, 'a\\b', 10)).toEqual([backslash]);
      expect(await store.search(conversationId, '%', 10)).toEqual([hundred]);
      expect(await store.search(conversationId, 'deleted', 10)).toEqual([]);
      expect(await store.search(conversationId, 'nothing like it', 10)).toEqual([]);
    });

    it('keeps conversations apart', async () => {
      const first = randomUUID();
      const second = randomUUID();
      const a = await store.appendMessage(newMessage(first, alice, 'in first'));
      const b = await store.appendMessage(newMessage(second, alice, 'in second', a.message.clientMessageId));

      expect(b.created).toBe(true);
      expect([a.event.seq, b.event.seq]).toEqual([1, 1]);
      expect(await store.getMessage(second, a.message.id)).toBeNull();
      expect(await store.listMessages(first, { limit: 10 })).toEqual([a.message]);
      expect(await store.eventsAfter(second, 0, 10)).toEqual([b.event]);
      expect(
        await store.deleteMessage({ conversationId: second, messageId: a.message.id, actorId: alice }),
      ).toBeNull();
      expect(
        await store.addReaction({
          conversationId: second,
          messageId: a.message.id,
          emoji: '👍',
          userId: bob,
        }),
      ).toBeNull();
      expect(await store.search(second, 'first', 10)).toEqual([]);

      await store.dropConversation(second);
      expect(await store.listMessages(first, { limit: 10 })).toEqual([a.message]);
      expect(await store.lastSeq(first)).toBe(1);
    });

    it('drops everything of a conversation, and later events continue after the last seq', async () => {
      const conversationId = randomUUID();
      const sent = await store.appendMessage(newMessage(conversationId, alice, 'soon gone'));
      await store.addReaction({ conversationId, messageId: sent.message.id, emoji: '👋', userId: bob });
      await store.appendEvent({
        conversationId,
        type: 'member.removed',
        actorId: alice,
        data: { userId: bob },
      });

      await store.dropConversation(conversationId);

      expect(await store.getMessage(conversationId, sent.message.id)).toBeNull();
      expect(await store.listMessages(conversationId, { limit: 10 })).toEqual([]);
      expect(await store.eventsAfter(conversationId, 0, 10)).toEqual([]);
      expect(await store.search(conversationId, 'gone', 10)).toEqual([]);
      expect(await store.countMessagesAfter(conversationId, 0, bob, 10)).toBe(0);
      // Seqs never go back, so a client's cursor from before the drop stays valid.
      expect(await store.lastSeq(conversationId)).toBe(3);
      const next = await store.appendMessage(newMessage(conversationId, alice, 'after the drop'));
      expect(next.event.seq).toBe(4);
      expect(await store.eventsAfter(conversationId, 3, 10)).toEqual([next.event]);
      await store.dropConversation(randomUUID());
    });
  });
}
