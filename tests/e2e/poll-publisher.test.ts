import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup } from '../support/conversations';
import { createPoll, pollSnapshots } from '../support/polls';
import { useServer } from '../support/use-server';

const server = useServer();
const db = async () => (await server().server.platform.database()).db;

/** A vote that committed in a process that died before publishing it: the row and the version, no event. */
async function unpublishedVote(pollId: string, userId: string, optionId: string) {
  await (await db()).transaction().execute(async (trx) => {
    await trx
      .insertInto('poll_votes')
      .values({ poll_id: pollId, user_id: userId, option_id: optionId })
      .execute();
    await trx
      .updateTable('polls')
      .set({ version: sql<string>`version + 1` })
      .where('id', '=', pollId)
      .execute();
  });
}

describe('the poll publisher', () => {
  it('publishes a change whose publisher died at the next read, so the log catches up with the poll', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const poll = await createPoll(server(), ana, group.id);
    await unpublishedVote(poll.id, ben.id, poll.options[2]?.id as string);
    expect((await pollSnapshots(server(), ana, group.id, poll.id)).map((s) => s.version)).toEqual([1]);

    const read = await server().request('GET', `/v1/polls/${poll.id}`, { token: ana.accessToken });
    expect(read.body).toMatchObject({ version: 2, totalVoters: 1 });
    const snapshots = await pollSnapshots(server(), ana, group.id, poll.id);
    expect(snapshots.map((s) => s.version)).toEqual([1, 2]);
    const { myOptionIds: _mine, ...state } = read.body;
    expect(snapshots.at(-1)).toEqual(state);
  });

  it('takes over a claim its holder left behind once it expires, and leaves a live claim alone', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const poll = await createPoll(server(), ana, group.id);
    await unpublishedVote(poll.id, ben.id, poll.options[0]?.id as string);
    const claim = (until: Date) =>
      db().then((d) =>
        d.updateTable('polls').set({ publishing_until: until }).where('id', '=', poll.id).execute(),
      );

    await claim(new Date(Date.now() + 60_000));
    await server().request('GET', `/v1/polls/${poll.id}`, { token: ana.accessToken });
    expect((await pollSnapshots(server(), ana, group.id, poll.id)).map((s) => s.version)).toEqual([1]);

    await claim(new Date(Date.now() - 1));
    await server().request('GET', `/v1/polls/${poll.id}`, { token: ana.accessToken });
    expect((await pollSnapshots(server(), ana, group.id, poll.id)).map((s) => s.version)).toEqual([1, 2]);
    const row = await (await db())
      .selectFrom('polls')
      .selectAll()
      .where('id', '=', poll.id)
      .executeTakeFirstOrThrow();
    expect({ published: row.published_version, claim: row.publishing_until }).toEqual({
      published: '2',
      claim: null,
    });
  });
});
