import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup } from '../../tests/support/conversations';
import { createPoll, vote } from '../../tests/support/polls';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const get = (token: string, pollId: string) => server().request('GET', `/v1/polls/${pollId}`, { token });

describe('polls-get', () => {
  it('counts votes per option, names voters in order, and shows each caller their own choice', async () => {
    const [ana, ben, cid] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const group = await createGroup(server(), ana, [ben, cid]);
    const poll = await createPoll(server(), ana, group.id, { multipleChoice: true });
    const [pizza, sushi, salad] = poll.options.map((option) => option.id) as [string, string, string];
    await vote(server(), ben, poll.id, [pizza, sushi]);
    await vote(server(), cid, poll.id, [sushi]);
    const seenByBen = await get(ben.accessToken, poll.id);
    expect(seenByBen.status).toBe(200);
    expect(seenByBen.body).toMatchObject({
      totalVoters: 2,
      myOptionIds: [pizza, sushi],
      options: [
        { id: pizza, votes: 1, voterIds: [ben.id] },
        { id: sushi, votes: 2, voterIds: [ben.id, cid.id] },
        { id: salad, votes: 0, voterIds: [] },
      ],
    });
    expect((await get(cid.accessToken, poll.id)).body.myOptionIds).toEqual([sushi]);
    expect((await get(ana.accessToken, poll.id)).body.myOptionIds).toEqual([]);
  });

  it('never names a voter of an anonymous poll', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const poll = await createPoll(server(), ana, group.id, { anonymous: true });
    await vote(server(), ben, poll.id, [poll.options[1]?.id as string]);
    const seenByAna = await get(ana.accessToken, poll.id);
    expect(seenByAna.body.options.map((option: { votes: number }) => option.votes)).toEqual([0, 1, 0]);
    expect(seenByAna.body.options.every((option: { voterIds: unknown }) => option.voterIds === null)).toBe(
      true,
    );
    expect(JSON.stringify(seenByAna.body)).not.toContain(ben.id);
    // The voter alone sees their own choice.
    expect((await get(ben.accessToken, poll.id)).body.myOptionIds).toEqual([poll.options[1]?.id]);
  });

  it('shows a poll past closesAt as closed', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    const closesAt = new Date(Date.now() + 1500).toISOString();
    const poll = await createPoll(server(), ana, group.id, { closesAt });
    expect((await get(ana.accessToken, poll.id)).body).toMatchObject({ closed: false, closedAt: null });
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect((await get(ana.accessToken, poll.id)).body).toMatchObject({ closed: true, closedAt: closesAt });
  });

  it('answers a non-member exactly as for a poll that does not exist, and 404 once its message is deleted', async () => {
    const [ana, eve] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, []);
    const poll = await createPoll(server(), ana, group.id);
    const foreign = await get(eve.accessToken, poll.id);
    const missing = await get(eve.accessToken, crypto.randomUUID());
    expect([foreign.status, missing.status]).toEqual([404, 404]);
    const strip = ({ instance: _, ...rest }: Record<string, unknown>) => rest;
    expect(strip(foreign.body)).toEqual(strip(missing.body));
    expect(JSON.stringify(foreign.body)).not.toContain('Lunch');

    await server().request('DELETE', `/v1/conversations/${group.id}/messages/${poll.messageId}`, {
      token: ana.accessToken,
    });
    expect((await get(ana.accessToken, poll.id)).status).toBe(404);
    expect((await vote(server(), ana, poll.id, [poll.options[0]?.id as string])).status).toBe(404);
  });

  it('refuses a malformed poll id with 400', async () => {
    const ana = await registerAccount(server());
    const response = await get(ana.accessToken, 'not-a-poll');
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'param.pollId', message: 'must be a UUID' }]);
  });
});
