import type { HttpTransport } from '../http';
import type { CreatePollInput, Poll } from '../types';

/**
 * Polls (`polls-*`). A poll is posted as a message whose `pollId` names it; every change arrives
 * as a `poll.updated` event carrying the whole poll (keep the one with the highest `version`).
 */
export class PollsApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * Posts a poll into a conversation. Without a `clientMessageId` one is generated before the
   * first attempt, so the SDK's retry after a token refresh cannot post it twice.
   */
  create(conversationId: string, input: CreatePollInput): Promise<Poll> {
    const body = { ...input, clientMessageId: input.clientMessageId ?? globalThis.crypto.randomUUID() };
    return this.http.call('polls-create', { params: { conversationId }, body });
  }

  /** Results, and the caller's own choices in `myOptionIds`. */
  get(pollId: string): Promise<Poll> {
    return this.http.call('polls-get', { params: { pollId } });
  }

  /** Replaces the caller's vote (exactly one option unless the poll is multiple choice). */
  vote(pollId: string, optionIds: string[]): Promise<Poll> {
    return this.http.call('polls-vote', { params: { pollId }, body: { optionIds } });
  }

  /** Takes the caller's vote back. */
  retract(pollId: string): Promise<Poll> {
    return this.http.call('polls-retract', { params: { pollId } });
  }

  /** The creator, or a group owner or admin. */
  close(pollId: string): Promise<Poll> {
    return this.http.call('polls-close', { params: { pollId } });
  }
}
