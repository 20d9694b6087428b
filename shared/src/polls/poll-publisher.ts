import { type Kysely, sql } from 'kysely';
import type { ConversationEvents } from '../conversations/conversation-events';
import type { DB } from '../db/schema';
import type { MessageStore } from '../messaging/message-store';
import { loadPollState, toSnapshot } from './poll-state';

/** How long one publisher holds a poll; a publisher that died mid-way is taken over after it. */
const CLAIM_MS = 10_000;

export interface PollPublisherDeps {
  db: Kysely<DB>;
  messages: MessageStore;
  events: ConversationEvents;
}

/**
 * Carries a poll's committed state into its conversation's event log as `poll.updated`
 * snapshots, so a client that folds the log — live, or catching up after being offline — ends
 * with the poll exactly as stored.
 *
 * Votes live in SQL and the log in the MessageStore (SQL or Cassandra), so they cannot commit
 * together. Instead every change bumps `polls.version` in its transaction, and the log is brought
 * up to it afterwards: a publisher claims the poll (`publishing_until`, one at a time), reads the
 * poll in one statement, appends that snapshot, records `published_version`, and goes round again
 * if a change committed meanwhile. A change that finds the poll claimed leaves it to the claimant,
 * whose next round sees it: the claim is released in the same UPDATE that reads the version, and
 * the change committed before its own claim attempt failed. Concurrent votes therefore coalesce
 * into fewer events, and snapshots reach the log in version order. A change whose publisher died
 * stays unpublished (version > published_version) until the next change or read of the poll
 * publishes it ({@link publish} is cheap when there is nothing to do).
 */
export class PollPublisher {
  constructor(private readonly deps: PollPublisherDeps) {}

  async publish(pollId: string): Promise<void> {
    const { db, messages, events } = this.deps;
    for (;;) {
      const claim = new Date(Date.now() + CLAIM_MS);
      const claimed = await db
        .updateTable('polls')
        .set({ publishing_until: claim })
        .where('id', '=', pollId)
        .where((eb) => eb('version', '>', eb.ref('published_version')))
        .where((eb) => eb.or([eb('publishing_until', 'is', null), eb('publishing_until', '<=', new Date())]))
        .returning('conversation_id')
        .executeTakeFirst();
      if (!claimed) return;
      try {
        const state = await loadPollState(db, pollId);
        // Deleted meanwhile: its message's deletion is the last word; nothing more to publish.
        if (!state) return;
        const snapshot = toSnapshot(state, new Date());
        const event = await messages.appendEvent({
          conversationId: claimed.conversation_id,
          type: 'poll.updated',
          // Several voters' changes may coalesce into one snapshot; and anonymous polls name nobody.
          actorId: null,
          data: { poll: snapshot },
        });
        const released = await db
          .updateTable('polls')
          .set({
            published_version: sql<string>`greatest(published_version, ${snapshot.version})`,
            publishing_until: null,
          })
          .where('id', '=', pollId)
          .where('publishing_until', '=', claim)
          .returning(['version', 'published_version'])
          .executeTakeFirst();
        await events.published(event);
        // Not ours any more (the claim expired and another publisher took over): theirs to finish.
        if (!released || Number(released.version) <= Number(released.published_version)) return;
      } catch (error) {
        await db
          .updateTable('polls')
          .set({ publishing_until: null })
          .where('id', '=', pollId)
          .where('publishing_until', '=', claim)
          .execute()
          .catch(() => undefined);
        throw error;
      }
    }
  }
}
