import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { metricValue } from '../../shared/src/testing/observability';
import { createGroup, openDirect } from '../../tests/support/conversations';
import { createPoll, pollSnapshots } from '../../tests/support/polls';
import { useServer } from '../../tests/support/use-server';

const server = useServer({ RATE_LIMIT_SEND_MESSAGE: '50/60' });
const post = (token: string, conversationId: string, body: unknown) =>
  server().request('POST', `/v1/conversations/${conversationId}/polls`, { token, body });

describe('polls-create', () => {
  it('posts the poll as a message, then its first snapshot, both in the event log', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const before = await metricValue(server().server.platform.metrics.pollsCreatedTotal);
    const response = await post(ana.accessToken, group.id, {
      question: ' Where do we meet? ',
      options: ['Office', 'Café'],
      multipleChoice: true,
    });
    expect(response.status).toBe(201);
    const poll = response.body;
    expect(poll).toMatchObject({
      conversationId: group.id,
      creatorId: ana.id,
      question: 'Where do we meet?',
      multipleChoice: true,
      anonymous: false,
      closesAt: null,
      closedAt: null,
      closed: false,
      totalVoters: 0,
      version: 1,
      myOptionIds: [],
      options: [
        { text: 'Office', votes: 0, voterIds: [] },
        { text: 'Café', votes: 0, voterIds: [] },
      ],
    });
    const events = await server().request('GET', `/v1/conversations/${group.id}/events`, {
      token: ben.accessToken,
    });
    expect(events.body.items.map((event: { event: string }) => event.event)).toEqual([
      'message.created',
      'poll.updated',
    ]);
    const [created, updated] = events.body.items;
    expect(created.data.message).toMatchObject({
      id: poll.messageId,
      senderId: ana.id,
      body: 'Where do we meet?',
      pollId: poll.id,
    });
    const { myOptionIds: _mine, ...snapshot } = poll;
    expect(updated).toMatchObject({ actorId: null, data: { poll: snapshot } });
    const conversation = await server().request('GET', `/v1/conversations/${group.id}`, {
      token: ben.accessToken,
    });
    expect(conversation.body).toMatchObject({
      unreadCount: 1,
      lastMessage: { preview: 'Where do we meet?' },
    });
    expect(await metricValue(server().server.platform.metrics.pollsCreatedTotal)).toBe(before + 1);
  });

  it('is idempotent by clientMessageId: the same id answers the poll posted first', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    const body = { question: 'Once?', options: ['yes', 'no'], clientMessageId: 'poll-1' };
    const responses = await Promise.all([1, 2, 3].map(() => post(ana.accessToken, group.id, body)));
    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 201]);
    expect(new Set(responses.map((response) => response.body.id)).size).toBe(1);
    const messages = await server().request('GET', `/v1/conversations/${group.id}/messages`, {
      token: ana.accessToken,
    });
    expect(messages.body.items).toHaveLength(1);
    await server().request('POST', `/v1/conversations/${group.id}/messages`, {
      token: ana.accessToken,
      body: { clientMessageId: 'plain-1', body: 'not a poll' },
    });
    const taken = await post(ana.accessToken, group.id, { ...body, clientMessageId: 'plain-1' });
    expect(taken.status).toBe(409);
    expect(taken.body.type).toMatch(/client-message-id-taken$/);
  });

  it('checks options, closing time and the question, naming the fields', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    const cases: Array<[unknown, number, string]> = [
      [{ question: 'Q', options: ['only one'] }, 400, 'body.options'],
      [{ question: 'Q', options: Array.from({ length: 13 }, (_, i) => `o${i}`) }, 400, 'body.options'],
      [{ question: 'Q', options: ['Same', 'same'] }, 400, 'body.options'],
      [{ question: 'Q', options: ['a', ' '] }, 400, 'body.options.1'],
      [{ question: '   ', options: ['a', 'b'] }, 400, 'body.question'],
      [{ question: 'x'.repeat(301), options: ['a', 'b'] }, 400, 'body.question'],
      [{ question: 'Q', options: ['a', 'b'], closesAt: 'tomorrow' }, 400, 'body.closesAt'],
      [{ question: 'Q', options: ['a', 'b'], anonymous: 'yes' }, 400, 'body.anonymous'],
      [
        { question: 'Q', options: ['a', 'b'], closesAt: new Date(Date.now() - 1000).toISOString() },
        422,
        'body.closesAt',
      ],
      [{ question: 'Q', options: ['a', 'b'], closesAt: '2999-01-01T00:00:00Z' }, 422, 'body.closesAt'],
    ];
    for (const [body, status, field] of cases) {
      const response = await post(ana.accessToken, group.id, body);
      expect({ body, status: response.status }).toEqual({ body, status });
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    }
    const messages = await server().request('GET', `/v1/conversations/${group.id}/messages`, {
      token: ana.accessToken,
    });
    expect(messages.body.items).toEqual([]);
  });

  it('is refused in E2EE conversations, where the server cannot count', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const e2ee = await server().request('POST', '/v1/conversations', {
      token: ana.accessToken,
      body: { type: 'group', title: 'Secret', memberIds: [ben.id], e2ee: true },
    });
    const response = await post(ana.accessToken, e2ee.body.id, { question: 'Q', options: ['a', 'b'] });
    expect(response.status).toBe(409);
    expect(response.body.type).toMatch(/e2ee-polls-unavailable$/);
  });

  it('is for members only (404), and stops at a block in a direct conversation', async () => {
    const [ana, ben, eve] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const group = await createGroup(server(), ana, [ben]);
    expect((await post(eve.accessToken, group.id, { question: 'Q', options: ['a', 'b'] })).status).toBe(404);
    const direct = await openDirect(server(), ana, ben);
    await createPoll(server(), ben, direct.id);
    await server().request('PUT', `/v1/users/${ben.id}/block`, { token: ana.accessToken });
    expect((await post(ben.accessToken, direct.id, { question: 'Q', options: ['a', 'b'] })).status).toBe(403);
  });

  it('posts a message that cannot be edited (the poll is what it shows)', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    const poll = await createPoll(server(), ana, group.id);
    const edit = await server().request('PATCH', `/v1/conversations/${group.id}/messages/${poll.messageId}`, {
      token: ana.accessToken,
      body: { body: 'Dinner?' },
    });
    expect(edit.status).toBe(409);
    expect(edit.body.type).toMatch(/poll-message$/);
  });

  it('snapshots reach the log with versions that only grow', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    const poll = await createPoll(server(), ana, group.id);
    await server().request('PUT', `/v1/polls/${poll.id}/vote`, {
      token: ana.accessToken,
      body: { optionIds: [poll.options[0]?.id] },
    });
    const versions = (await pollSnapshots(server(), ana, group.id, poll.id)).map((s) => s.version);
    expect(versions).toEqual([1, 2]);
  });
});
