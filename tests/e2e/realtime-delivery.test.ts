import type { ConversationEvent, RealtimeClient } from '@secureconnect/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestServer } from '../../shared/src/testing/test-server';
import {
  connectRealtime,
  type Recorder,
  registerUsers,
  type SdkUser,
  settle,
  startSdkDevServer,
  WAIT,
} from '../support/sdk';

let server: TestServer;
const clients: { close(): void }[] = [];

beforeAll(async () => {
  ({ server } = await startSdkDevServer());
  console.log(`realtime delivery on ${server.backends.sql} + ${server.backends.kv}, through the SDK`);
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server?.close();
});

/** What a member should see of a conversation: event types in seq order, seqs 1..n. */
function summary(events: ConversationEvent[]) {
  return events.map((event) => `${event.seq} ${event.event}`);
}

describe('three users, a direct and a group conversation, over WebSocket through the SDK', () => {
  let ann: SdkUser;
  let bob: SdkUser;
  let cat: SdkUser;
  let dan: SdkUser;
  let direct: string;
  let group: string;
  const connections = new Map<string, { realtime: RealtimeClient; recorder: Recorder }>();
  const of = (user: SdkUser) => (connections.get(user.id) as { recorder: Recorder }).recorder;
  const socketOf = (user: SdkUser) => (connections.get(user.id) as { realtime: RealtimeClient }).realtime;

  beforeAll(async () => {
    [ann, bob, cat, dan] = await registerUsers(server.url, 'Ann', 'Bob', 'Cat', 'Dan');
    direct = (await ann.client.conversations.create({ type: 'direct', userId: bob.id })).id;
    group = (
      await ann.client.conversations.create({ type: 'group', title: 'Trio', memberIds: [bob.id, cat.id] })
    ).id;
    // Dan shares no conversation with anyone: he must receive nothing at all.
    for (const user of [ann, bob, cat, dan]) {
      const connection = await connectRealtime(user);
      clients.push(connection.realtime);
      connections.set(user.id, connection);
    }
  });

  it('delivers messages, edits, deletes, reactions and reads to the members only, in seq order', async () => {
    const hello = await ann.client.messages.send(direct, { body: 'hi Bob' });
    const all = await bob.client.messages.send(group, { body: 'hello all' });
    await ann.client.messages.edit(direct, hello.id, { body: 'hi Bob!' });
    await cat.client.reactions.add(group, all.id, '👍');
    await ann.client.reactions.add(group, all.id, '🎉');
    await cat.client.reactions.remove(group, all.id, '👍');
    await bob.client.conversations.markRead(direct, 2);
    await bob.client.messages.delete(group, all.id);

    const directLog = ['1 message.created', '2 message.updated', '3 read'];
    const groupLog = [
      '1 message.created',
      '2 reaction.added',
      '3 reaction.added',
      '4 reaction.removed',
      '5 message.deleted',
    ];
    await vi.waitFor(() => {
      for (const user of [ann, bob]) expect(summary(of(user).in(direct))).toEqual(directLog);
      for (const user of [ann, bob, cat]) expect(summary(of(user).in(group))).toEqual(groupLog);
    }, WAIT);
    await settle();

    for (const user of [ann, bob]) {
      const [created, updated, read] = of(user).in(direct);
      expect(created).toMatchObject({
        event: 'message.created',
        data: { message: { id: hello.id, body: 'hi Bob', senderId: ann.id } },
      });
      expect(updated).toMatchObject({ data: { messageId: hello.id, body: 'hi Bob!' } });
      expect(read).toMatchObject({ data: { userId: bob.id, seq: 2 } });
    }
    for (const user of [ann, bob, cat]) {
      expect(
        of(user)
          .in(group)
          .map((event) => event.data),
      ).toMatchObject([
        { message: { id: all.id, body: 'hello all', senderId: bob.id } },
        { messageId: all.id, emoji: '👍', userId: cat.id },
        { messageId: all.id, emoji: '🎉', userId: ann.id },
        { messageId: all.id, emoji: '👍', userId: cat.id },
        { messageId: all.id },
      ]);
    }
    // Exactly these, nothing more: each event once, and nothing of a conversation one is not in.
    expect(summary(of(ann).events)).toHaveLength(directLog.length + groupLog.length);
    expect(summary(of(bob).events)).toHaveLength(directLog.length + groupLog.length);
    expect(of(cat).in(direct)).toEqual([]);
    expect(of(cat).events).toHaveLength(groupLog.length);
    expect(of(dan).events).toEqual([]);

    // What the events said is what the API now says.
    const [directMessages, groupMessages] = await Promise.all([
      bob.client.messages.list(direct),
      cat.client.messages.list(group),
    ]);
    expect(directMessages.items.map((message) => message.body)).toEqual(['hi Bob!']);
    expect(groupMessages.items[0]).toMatchObject({ id: all.id, body: '', reactions: {} });
    expect(groupMessages.items[0]?.deletedAt).not.toBeNull();
  });

  it('relays typing to the other members of that conversation only, never back to the typist', async () => {
    socketOf(ann).typing(direct);
    socketOf(cat).typing(group);

    await vi.waitFor(() => {
      expect(of(bob).typing).toEqual(
        expect.arrayContaining([
          { conversationId: direct, userId: ann.id },
          { conversationId: group, userId: cat.id },
        ]),
      );
      expect(of(ann).typing).toEqual([{ conversationId: group, userId: cat.id }]);
    }, WAIT);
    await settle();
    expect(of(bob).typing).toHaveLength(2);
    expect(of(ann).typing).toHaveLength(1);
    expect(of(cat).typing).toEqual([]);
    expect(of(dan).typing).toEqual([]);
  });

  it('tells the users who share a conversation about a presence change, and no one else', async () => {
    // Everyone came online while connecting; only what changes from here on counts.
    for (const { recorder } of connections.values()) recorder.presence.length = 0;
    socketOf(bob).setPresence('away');

    await vi.waitFor(() => {
      for (const user of [ann, cat]) expect(of(user).presence).toEqual([{ userId: bob.id, status: 'away' }]);
    }, WAIT);
    await settle();
    expect(of(bob).presence).toEqual([]);
    expect(of(dan).presence).toEqual([]);
    const statuses = await ann.client.presence.get([bob.id, cat.id, dan.id]);
    expect(statuses.items).toEqual(
      expect.arrayContaining([
        { userId: bob.id, status: 'away' },
        { userId: cat.id, status: 'online' },
      ]),
    );
    // Dan shares no conversation with Ann: she may not learn his status.
    expect(statuses.items.map((item) => item.userId)).not.toContain(dan.id);
  });
});

describe('a member added while connected gets the history from seq 0, then member.added', () => {
  it('when the gateway already carries the conversation (another member is online there)', async () => {
    const [owner, member, joiner] = await registerUsers(server.url, 'Gil', 'Hal', 'Ivy');
    const group = (
      await owner.client.conversations.create({ type: 'group', title: 'Pair', memberIds: [member.id] })
    ).id;
    // A member online keeps the group subscribed on the gateway: member.added is also pushed live.
    const online = await connectRealtime(member);
    clients.push(online.realtime);
    const before = await owner.client.messages.send(group, { body: 'before Ivy joined' });
    const { realtime, recorder } = await connectRealtime(joiner);
    clients.push(realtime);

    await owner.client.members.add(group, { userIds: [joiner.id] });

    await vi.waitFor(
      () => expect(summary(recorder.in(group))).toEqual(['1 message.created', '2 member.added']),
      WAIT,
    );
    expect(recorder.in(group)[0]).toMatchObject({ data: { message: { id: before.id } } });
    expect(realtime.cursor(group)).toBe(2);
  });

  // Here the gateway subscribes on the membership signal from the log's last seq, which already
  // includes member.added: nothing is pushed, and its `joined` frame is what starts the catch-up.
  it('when the gateway was not subscribed to it yet, with no further activity in it', async () => {
    const [owner, joiner] = await registerUsers(server.url, 'Jay', 'Kim');
    const group = (await owner.client.conversations.create({ type: 'group', title: 'Solo' })).id;
    await owner.client.messages.send(group, { body: 'before Kim joined' });
    const { realtime, recorder } = await connectRealtime(joiner);
    clients.push(realtime);

    await owner.client.members.add(group, { userIds: [joiner.id] });

    await vi.waitFor(
      () => expect(summary(recorder.in(group))).toEqual(['1 message.created', '2 member.added']),
      WAIT,
    );
  });
});
