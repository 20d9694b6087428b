import type { Kysely } from 'kysely';
import type { DB, PollRow } from '../db/schema';
import type { Poll, PollSnapshot } from './api-schemas';

/** A poll as stored: its row, its options in order, and every vote in voting order. */
export interface PollState {
  poll: PollRow;
  options: Array<{ id: string; text: string }>;
  votes: Array<{ userId: string; optionId: string }>;
}

const iso = (value: Date | null) => (value === null ? null : new Date(value).toISOString());

/**
 * The poll with its votes, read in ONE statement so the votes and the version agree (a vote
 * changes both in one transaction); the options never change after creation.
 */
export async function loadPollState(db: Kysely<DB>, pollId: string): Promise<PollState | null> {
  const rows = await db
    .selectFrom('polls')
    .leftJoin('poll_votes', 'poll_votes.poll_id', 'polls.id')
    .selectAll('polls')
    .select(['poll_votes.user_id as voter_id', 'poll_votes.option_id as voted_option_id'])
    .where('polls.id', '=', pollId)
    .where('polls.deleted_at', 'is', null)
    .orderBy('poll_votes.voted_at')
    .orderBy('poll_votes.user_id')
    .orderBy('poll_votes.option_id')
    .execute();
  const first = rows[0];
  if (!first) return null;
  const { voter_id: _voter, voted_option_id: _option, ...poll } = first;
  const options = await db
    .selectFrom('poll_options')
    .select(['id', 'text'])
    .where('poll_id', '=', pollId)
    .orderBy('position')
    .execute();
  const votes = rows.flatMap((row) =>
    row.voter_id && row.voted_option_id ? [{ userId: row.voter_id, optionId: row.voted_option_id }] : [],
  );
  return { poll, options, votes };
}

/** Closed by hand, or past `closesAt`: from then on no vote counts. */
export function closedAt(poll: Pick<PollRow, 'closed_at' | 'closes_at'>, now: Date): Date | null {
  if (poll.closed_at) return new Date(poll.closed_at);
  if (poll.closes_at && new Date(poll.closes_at) <= now) return new Date(poll.closes_at);
  return null;
}

/** What every member may see. Anonymous polls name no voter, here or anywhere else. */
export function toSnapshot({ poll, options, votes }: PollState, now: Date): PollSnapshot {
  const voters = new Map<string, string[]>(options.map((option) => [option.id, []]));
  for (const vote of votes) voters.get(vote.optionId)?.push(vote.userId);
  const closed = closedAt(poll, now);
  return {
    id: poll.id,
    conversationId: poll.conversation_id,
    messageId: poll.message_id,
    creatorId: poll.creator_id,
    question: poll.question,
    multipleChoice: poll.multiple_choice,
    anonymous: poll.anonymous,
    closesAt: iso(poll.closes_at),
    closedAt: iso(closed),
    closed: closed !== null,
    options: options.map((option) => {
      const ids = voters.get(option.id) ?? [];
      return { id: option.id, text: option.text, votes: ids.length, voterIds: poll.anonymous ? null : ids };
    }),
    totalVoters: new Set(votes.map((vote) => vote.userId)).size,
    version: Number(poll.version),
    createdAt: iso(poll.created_at) as string,
  };
}

/** The snapshot and the caller's own choices (in option order), which only the caller is ever shown. */
export function toPoll(state: PollState, callerId: string, now: Date): Poll {
  return {
    ...toSnapshot(state, now),
    myOptionIds: state.options
      .filter((option) => state.votes.some((vote) => vote.userId === callerId && vote.optionId === option.id))
      .map((option) => option.id),
  };
}
