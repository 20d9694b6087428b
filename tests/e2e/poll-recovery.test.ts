import type { PollSnapshot, RealtimeClient } from '@secureconnect/client';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { TestServer } from '../../shared/src/testing/test-server';
import { connectRealtime, Network, registerUsers, settle, startSdkDevServer, WAIT } from '../support/sdk';

let server: TestServer;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  ({ server } = await startSdkDevServer());
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server?.close();
});

it('a client offline while votes were cast, changed and taken back ends with the exact poll', async () => {
  const [ana, ben, cid, dee] = await registerUsers(server.url, 'Ana', 'Ben', 'Cid', 'Dee');
  const group = await ana.client.conversations.create({
    type: 'group',
    title: 'Offsite',
    memberIds: [ben.id, cid.id, dee.id],
  });
  const network = new Network();
  const { realtime, recorder } = await connectRealtime(dee, { WebSocket: network.WebSocket });
  clients.push(realtime);

  const poll = await ana.client.polls.create(group.id, {
    question: 'Where?',
    options: ['Lisbon', 'Oslo', 'Rome'],
    multipleChoice: true,
  });
  const [lisbon, oslo, rome] = poll.options.map((option) => option.id) as [string, string, string];
  await ben.client.polls.vote(poll.id, [lisbon]);
  const latest = () =>
    recorder
      .in(group.id)
      .flatMap((event) => (event.event === 'poll.updated' ? [event.data.poll] : []))
      .filter((snapshot): snapshot is PollSnapshot => snapshot.id === poll.id)
      .at(-1);
  await vi.waitFor(() => expect(latest()?.options[0]?.votes).toBe(1), WAIT);

  network.cut();
  await vi.waitFor(() => expect(realtime.state).toBe('reconnecting'), WAIT);
  await Promise.all([
    ben.client.polls.vote(poll.id, [oslo, rome]),
    cid.client.polls.vote(poll.id, [lisbon, oslo]),
    ana.client.polls.vote(poll.id, [rome]),
  ]);
  await cid.client.polls.retract(poll.id);
  await ana.client.polls.close(poll.id);
  network.restore();

  const { myOptionIds: _mine, ...stored } = await ana.client.polls.get(poll.id);
  await vi.waitFor(() => expect(latest()).toEqual(stored), WAIT);
  await settle();
  expect(latest()).toEqual(stored);
  expect(stored).toMatchObject({ closed: true, totalVoters: 2 });
  expect(stored.options.map((option) => [...(option.voterIds ?? [])].sort())).toEqual([
    [],
    [ben.id],
    [ben.id, ana.id].sort(),
  ]);
  // Delivered once each, in log order.
  const seqs = recorder.in(group.id).map((event) => event.seq);
  expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
});
