import type { RealtimeClient } from '@secureconnect/client';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { TestServer } from '../../shared/src/testing/test-server';
import {
  connectRealtime,
  Network,
  type Recorder,
  registerUsers,
  sendMessages,
  settle,
  startSdkDevServer,
  WAIT,
} from '../support/sdk';

const SENDER_NAMES = ['Ann', 'Bob', 'Cat', 'Dan', 'Eve'] as const;
const SENDERS = SENDER_NAMES.length;
const MESSAGES_PER_SENDER = 100;
const TOTAL = SENDERS * MESSAGES_PER_SENDER;

let server: TestServer;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  ({ server } = await startSdkDevServer());
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server?.close();
});

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

it(`${TOTAL} messages from ${SENDERS} senders in parallel reach every member exactly once, seqs 1..${TOTAL} without gaps`, async () => {
  const senders = await registerUsers(server.url, ...SENDER_NAMES);
  const [owner, ...others] = senders;
  const group = (
    await owner.client.conversations.create({
      type: 'group',
      title: 'Exactness',
      memberIds: others.map((user) => user.id),
    })
  ).id;
  const members: { network: Network; recorder: Recorder }[] = [];
  for (const sender of senders) {
    const network = new Network();
    const { realtime, recorder } = await connectRealtime(sender, { WebSocket: network.WebSocket });
    clients.push(realtime);
    members.push({ network, recorder });
  }

  const sent = (
    await Promise.all(
      senders.map((sender) => sendMessages(sender, group, MESSAGES_PER_SENDER, { prefix: sender.name })),
    )
  ).flat();

  expect(new Set(sent.map((message) => message.id)).size).toBe(TOTAL);
  expect(sent.map((message) => message.seq).sort((a, b) => a - b)).toEqual(range(1, TOTAL));
  const sentBySeq = [...sent].sort((a, b) => a.seq - b.seq).map((message) => message.id);
  await vi.waitFor(() => {
    for (const { recorder } of members) expect(recorder.in(group)).toHaveLength(TOTAL);
  }, WAIT);
  await settle();

  for (const { network, recorder } of members) {
    const events = recorder.in(group);
    expect(events.map((event) => event.seq)).toEqual(range(1, TOTAL));
    expect(events.map((event) => (event.event === 'message.created' ? event.data.message.id : null))).toEqual(
      sentBySeq,
    );
    // Not just the SDK's dedupe: the gateway itself wrote each event to each socket once, in order.
    expect(network.eventSeqs(group)).toEqual(range(1, TOTAL));
  }
  // Each sender's own messages arrive in the order they were sent.
  for (const sender of senders) {
    const own = members[0]?.recorder.bodies(group).filter((body) => body.startsWith(`${sender.name} `));
    expect(own).toEqual(range(1, MESSAGES_PER_SENDER).map((n) => `${sender.name} ${n}`));
  }
});

it('the same clientMessageId sent twice — one after the other, or at once — makes one message, delivered once', async () => {
  const [ann, bob] = await registerUsers(server.url, 'Ann', 'Bob');
  const direct = (await ann.client.conversations.create({ type: 'direct', userId: bob.id })).id;
  const { realtime, recorder } = await connectRealtime(bob);
  clients.push(realtime);

  const first = await ann.client.messages.send(direct, { clientMessageId: 'draft-1', body: 'once' });
  const again = await ann.client.messages.send(direct, { clientMessageId: 'draft-1', body: 'once' });
  const concurrent = await Promise.all(
    range(1, 5).map(() => ann.client.messages.send(direct, { clientMessageId: 'draft-2', body: 'twice?' })),
  );

  expect(again).toEqual(first);
  expect(new Set(concurrent.map((message) => message.id)).size).toBe(1);
  await vi.waitFor(() => expect(recorder.in(direct)).toHaveLength(2), WAIT);
  await settle();
  expect(recorder.bodies(direct)).toEqual(['once', 'twice?']);
  expect((await bob.client.messages.list(direct)).items.map((message) => message.body)).toEqual([
    'once',
    'twice?',
  ]);
});
