import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup } from '../../tests/support/conversations';
import { createPoll, pollSnapshots, vote } from '../../tests/support/polls';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const retract = (token: string, pollId: string) =>
  server().request('DELETE', `/v1/polls/${pollId}/vote`, { token });

describe('polls-retract', () => {
  it('takes the vote back; without a vote it changes nothing', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const poll = await createPoll(server(), ana, group.id, { multipleChoice: true });
    await vote(server(), ben, poll.id, [poll.options[0]?.id as string, poll.options[2]?.id as string]);
    const response = await retract(ben.accessToken, poll.id);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ myOptionIds: [], totalVoters: 0, version: 3 });
    expect(response.body.options.map((option: { votes: number }) => option.votes)).toEqual([0, 0, 0]);
    const again = await retract(ben.accessToken, poll.id);
    expect(again.body.version).toBe(3);
    const last = (await pollSnapshots(server(), ana, group.id, poll.id)).at(-1);
    expect(last).toMatchObject({ version: 3, totalVoters: 0 });
  });

  it('is refused once the poll is closed, and for non-members', async () => {
    const [ana, eve] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, []);
    const poll = await createPoll(server(), ana, group.id);
    await vote(server(), ana, poll.id, [poll.options[0]?.id as string]);
    expect((await retract(eve.accessToken, poll.id)).status).toBe(404);
    await server().request('POST', `/v1/polls/${poll.id}/close`, { token: ana.accessToken });
    const closed = await retract(ana.accessToken, poll.id);
    expect(closed.status).toBe(409);
    const state = await server().request('GET', `/v1/polls/${poll.id}`, { token: ana.accessToken });
    expect(state.body.totalVoters).toBe(1);
  });
});
