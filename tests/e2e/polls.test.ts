/**
 * Polls under load and anonymity, through the real functions on the run's PostgreSQL and Redis.
 */
import { describe, expect, it } from 'vitest';
import { registerAccount, type TestAccount } from '../../shared/src/testing/accounts';
import { createGroup } from '../support/conversations';
import { createPoll, pollSnapshots, vote } from '../support/polls';
import { useServer } from '../support/use-server';

const server = useServer();

/** Registers `count` accounts, a few at a time (argon2 is deliberately slow). */
async function accounts(count: number): Promise<TestAccount[]> {
  const made: TestAccount[] = [];
  while (made.length < count) {
    made.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(10, count - made.length) }, () => registerAccount(server())),
      )),
    );
  }
  return made;
}

describe('polls', () => {
  it('counts exactly when 50 members vote at once, change their votes and take some back', async () => {
    const creator = await registerAccount(server());
    const voters = await accounts(50);
    const group = await createGroup(server(), creator, voters);
    const poll = await createPoll(server(), creator, group.id, { multipleChoice: true });
    const [a, b, c] = poll.options.map((option) => option.id) as [string, string, string];

    // Each voter's script, run concurrently with everyone else's: the last step is what counts.
    const scripts = voters.map((_, index): Array<string[] | 'retract'> => {
      switch (index % 5) {
        case 0:
          return [[a]];
        case 1:
          return [[a], [b]];
        case 2:
          return [[a, b], [c], [b, c]];
        case 3:
          return [[c], 'retract'];
        default:
          return [[b], 'retract', [a, c]];
      }
    });
    await Promise.all(
      voters.map(async (voter, index) => {
        for (const step of scripts[index] ?? []) {
          const response =
            step === 'retract'
              ? await server().request('DELETE', `/v1/polls/${poll.id}/vote`, { token: voter.accessToken })
              : await vote(server(), voter, poll.id, step);
          expect(response.status).toBe(200);
        }
      }),
    );

    const expected = new Map<string, string[]>([
      [a, []],
      [b, []],
      [c, []],
    ]);
    voters.forEach((voter, index) => {
      const last = scripts[index]?.at(-1);
      if (last && last !== 'retract') for (const option of last) expected.get(option)?.push(voter.id);
    });
    const result = await server().request('GET', `/v1/polls/${poll.id}`, { token: creator.accessToken });
    expect(result.body.options.map((option: { votes: number }) => option.votes)).toEqual(
      [a, b, c].map((id) => expected.get(id)?.length),
    );
    for (const option of result.body.options as Array<{ id: string; voterIds: string[] }>) {
      expect([...option.voterIds].sort()).toEqual([...(expected.get(option.id) ?? [])].sort());
    }
    expect(result.body.totalVoters).toBe(
      voters.filter((_, index) => scripts[index]?.at(-1) !== 'retract').length,
    );

    // The log ends exactly where the poll is, and its snapshots only ever move forward.
    const snapshots = await pollSnapshots(server(), creator, group.id, poll.id);
    const versions = snapshots.map((snapshot) => snapshot.version);
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
    expect(new Set(versions).size).toBe(versions.length);
    const { myOptionIds: _mine, ...state } = result.body;
    expect(snapshots.at(-1)).toEqual(state);
  });

  it('an anonymous poll names no voter in any response, event or log line', async () => {
    const { startTestServer } = await import('../../shared/src/testing/test-server');
    const { loadFunctions } = await import('../../scripts/lib/function-catalog');
    const own = await startTestServer({ functions: await loadFunctions(), captureLogs: true });
    try {
      const creator = await registerAccount(own);
      const voters = await Promise.all([1, 2, 3].map(() => registerAccount(own)));
      const group = await createGroup(own, creator, voters);
      const poll = await createPoll(own, creator, group.id, { anonymous: true, multipleChoice: true });
      const [a, b] = poll.options.map((option) => option.id) as [string, string];
      const bodies: unknown[] = [poll];
      // From here on only the creator and the votes themselves make requests.
      const firstVoteLine = own.logs.length;
      for (const [index, voter] of voters.entries()) {
        bodies.push((await vote(own, voter, poll.id, index === 0 ? [a, b] : [b])).body);
        bodies.push((await own.request('GET', `/v1/polls/${poll.id}`, { token: creator.accessToken })).body);
      }
      bodies.push(
        (await own.request('DELETE', `/v1/polls/${poll.id}/vote`, { token: voters[2]?.accessToken })).body,
      );
      bodies.push(
        (await own.request('POST', `/v1/polls/${poll.id}/close`, { token: creator.accessToken })).body,
      );
      const events = await own.request('GET', `/v1/conversations/${group.id}/events?limit=500`, {
        token: creator.accessToken,
      });
      bodies.push(events.body);
      const final = await own.request('GET', `/v1/polls/${poll.id}`, { token: creator.accessToken });
      expect(final.body.options.map((option: { votes: number }) => option.votes)).toEqual([1, 2, 0]);

      const lines = own.logs.slice(firstVoteLine);
      expect(lines.filter((line) => /^polls-(vote|retract)$/.test(String(line.function)))).toHaveLength(4);
      for (const voter of voters) {
        for (const body of bodies) expect(JSON.stringify(body)).not.toContain(voter.id);
        for (const line of lines) expect(JSON.stringify(line)).not.toContain(voter.id);
      }
      // Voters still see their own choice; only theirs.
      const mine = await own.request('GET', `/v1/polls/${poll.id}`, { token: voters[0]?.accessToken });
      expect(mine.body.myOptionIds).toEqual([a, b]);
    } finally {
      await own.close();
    }
  });
});
