import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { metricValue } from '../../shared/src/testing/observability';
import { createGroup, openDirect } from '../../tests/support/conversations';
import { createPoll, pollSnapshots, vote } from '../../tests/support/polls';
import { useServer } from '../../tests/support/use-server';

const server = useServer();

describe('polls-vote', () => {
  it("replaces the caller's vote, and the same vote again changes nothing", async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const poll = await createPoll(server(), ana, group.id);
    const [pizza, sushi] = poll.options.map((option) => option.id) as [string, string];
    const votes = server().server.platform.metrics.votesCastTotal;
    const [cast, changed] = [
      await metricValue(votes, { action: 'cast' }),
      await metricValue(votes, { action: 'changed' }),
    ];

    const first = await vote(server(), ben, poll.id, [pizza]);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ myOptionIds: [pizza], totalVoters: 1, version: 2 });
    const second = await vote(server(), ben, poll.id, [sushi]);
    expect(second.body).toMatchObject({ myOptionIds: [sushi], totalVoters: 1, version: 3 });
    expect(second.body.options.map((option: { votes: number }) => option.votes)).toEqual([0, 1, 0]);
    const again = await vote(server(), ben, poll.id, [sushi]);
    expect(again.body.version).toBe(3);

    expect((await pollSnapshots(server(), ana, group.id, poll.id)).map((s) => s.version)).toEqual([1, 2, 3]);
    expect(await metricValue(votes, { action: 'cast' })).toBe(cast + 1);
    expect(await metricValue(votes, { action: 'changed' })).toBe(changed + 1);
  });

  it('takes several options in a multiple-choice poll and exactly one otherwise', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    const single = await createPoll(server(), ana, group.id);
    const multi = await createPoll(server(), ana, group.id, { multipleChoice: true });
    const ids = (poll: typeof single) => poll.options.map((option) => option.id);
    const twoOfSingle = await vote(server(), ana, single.id, ids(single).slice(0, 2));
    expect(twoOfSingle.status).toBe(422);
    expect(twoOfSingle.body.type).toMatch(/single-choice$/);
    const twoOfMulti = await vote(server(), ana, multi.id, ids(multi).slice(0, 2));
    expect(twoOfMulti.status).toBe(200);
    expect(twoOfMulti.body.totalVoters).toBe(1);
  });

  it('refuses options of another poll, repeats, empty votes and bad ids', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    const poll = await createPoll(server(), ana, group.id, { multipleChoice: true });
    const other = await createPoll(server(), ana, group.id);
    const foreign = await vote(server(), ana, poll.id, [other.options[0]?.id as string]);
    expect(foreign.status).toBe(422);
    expect(foreign.body.errors[0].field).toBe('body.optionIds');
    const first = poll.options[0]?.id as string;
    expect((await vote(server(), ana, poll.id, [first, first])).status).toBe(400);
    expect((await vote(server(), ana, poll.id, [])).status).toBe(400);
    expect((await vote(server(), ana, poll.id, ['nope'])).status).toBe(400);
    const noBody = await server().request('PUT', `/v1/polls/${poll.id}/vote`, {
      token: ana.accessToken,
      rawBody: 'optionIds=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(noBody.status).toBe(415);
    expect(
      (await server().request('GET', `/v1/polls/${poll.id}`, { token: ana.accessToken })).body.totalVoters,
    ).toBe(0);
  });

  it('refuses votes once the poll is closed or past closesAt', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    const closed = await createPoll(server(), ana, group.id);
    await server().request('POST', `/v1/polls/${closed.id}/close`, { token: ana.accessToken });
    const afterClose = await vote(server(), ana, closed.id, [closed.options[0]?.id as string]);
    expect(afterClose.status).toBe(409);
    expect(afterClose.body.type).toMatch(/poll-closed$/);

    const expiring = await createPoll(server(), ana, group.id, {
      closesAt: new Date(Date.now() + 1000).toISOString(),
    });
    expect((await vote(server(), ana, expiring.id, [expiring.options[0]?.id as string])).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const late = await vote(server(), ana, expiring.id, [expiring.options[1]?.id as string]);
    expect(late.status).toBe(409);
    const state = await server().request('GET', `/v1/polls/${expiring.id}`, { token: ana.accessToken });
    expect(state.body).toMatchObject({ closed: true, myOptionIds: [expiring.options[0]?.id] });
  });

  it('is for members only, and stops at a block in a direct conversation', async () => {
    const [ana, ben, eve] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const direct = await openDirect(server(), ana, ben);
    const poll = await createPoll(server(), ana, direct.id);
    const option = poll.options[0]?.id as string;
    expect((await vote(server(), eve, poll.id, [option])).status).toBe(404);
    await server().request('PUT', `/v1/users/${ana.id}/block`, { token: ben.accessToken });
    expect((await vote(server(), ben, poll.id, [option])).status).toBe(403);
    expect(
      (await server().request('GET', `/v1/polls/${poll.id}`, { token: ana.accessToken })).body.totalVoters,
    ).toBe(0);
  });
});
