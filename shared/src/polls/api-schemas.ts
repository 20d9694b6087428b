import * as v from 'valibot';
import { UuidSchema } from '../accounts/api-schemas';
import { ClientMessageIdSchema } from '../conversations/api-schemas';

export const POLL_MIN_OPTIONS = 2;
export const POLL_MAX_OPTIONS = 12;
/** How far ahead `closesAt` may be set. */
export const POLL_MAX_DURATION_DAYS = 365;

const text = (max: number) =>
  v.pipe(
    v.string('must be a string'),
    v.trim(),
    v.nonEmpty('must not be blank'),
    v.maxLength(max, `must be at most ${max} characters`),
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    v.regex(/^[^\u0000-\u0008\u000b-\u001f\u007f]*$/, 'must not contain control characters'),
  );

export const CreatePollSchema = v.object({
  question: text(300),
  options: v.pipe(
    v.array(text(100), 'must be an array of option texts'),
    v.minLength(POLL_MIN_OPTIONS, `must offer at least ${POLL_MIN_OPTIONS} options`),
    v.maxLength(POLL_MAX_OPTIONS, `must offer at most ${POLL_MAX_OPTIONS} options`),
    v.check(
      (options) => new Set(options.map((option) => option.toLowerCase())).size === options.length,
      'must not repeat an option',
    ),
  ),
  multipleChoice: v.optional(v.boolean('must be a boolean'), false),
  anonymous: v.optional(v.boolean('must be a boolean'), false),
  closesAt: v.optional(
    v.nullable(v.pipe(v.string('must be a date-time'), v.isoTimestamp('must be an ISO 8601 date-time'))),
  ),
  /** As in messages-send: the same id again returns the poll posted the first time. */
  clientMessageId: v.optional(ClientMessageIdSchema),
});
export type CreatePoll = v.InferOutput<typeof CreatePollSchema>;

export const PollParamsSchema = v.object({ pollId: UuidSchema });

export const VoteSchema = v.object({
  optionIds: v.pipe(
    v.array(UuidSchema, 'must be an array of option ids'),
    v.minLength(1, 'must name at least one option (to take a vote back, use DELETE)'),
    v.maxLength(POLL_MAX_OPTIONS, `must name at most ${POLL_MAX_OPTIONS} options`),
    v.check((ids) => new Set(ids).size === ids.length, 'must not repeat an option'),
  ),
});

export const PollOptionResultSchema = v.object({
  id: v.string(),
  text: v.string(),
  votes: v.number(),
  /** Who voted for it, in voting order; null in anonymous polls, which never reveal voters. */
  voterIds: v.nullable(v.array(v.string())),
});

/** A poll as every member sees it: what `poll.updated` events carry. */
export const PollSnapshotSchema = v.object({
  id: v.string(),
  conversationId: v.string(),
  /** The message that posted the poll. */
  messageId: v.nullable(v.string()),
  creatorId: v.string(),
  question: v.string(),
  multipleChoice: v.boolean(),
  anonymous: v.boolean(),
  closesAt: v.nullable(v.string()),
  /** When it was closed, or when `closesAt` passed; null while open. */
  closedAt: v.nullable(v.string()),
  closed: v.boolean(),
  options: v.array(PollOptionResultSchema),
  /** Members who have a vote in the poll (each counts once, whatever they chose). */
  totalVoters: v.number(),
  /** Grows with every change of votes or state: of two snapshots, the higher version is newer. */
  version: v.number(),
  createdAt: v.string(),
});
export type PollSnapshot = v.InferOutput<typeof PollSnapshotSchema>;

/** A poll as one member sees it: the snapshot and their own vote. */
export const PollSchema = v.object({
  ...PollSnapshotSchema.entries,
  myOptionIds: v.array(v.string()),
});
export type Poll = v.InferOutput<typeof PollSchema>;
