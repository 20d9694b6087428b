import { SecureConnectError } from './errors';
import type { ConversationEvent, LoggedEvent } from './types';

/** One fetch of a conversation's event log: events after a seq, and the log's last seq. */
export interface EventLogPage {
  items: LoggedEvent[];
  lastSeq: number;
}

export interface EventSequencerOptions {
  /** Reads the log after `after` (`conversations.events`). */
  fetchEvents: (conversationId: string, after: number) => Promise<EventLogPage>;
  /** Hands one event to the app; called in seq order per conversation, once per event. */
  deliver: (event: ConversationEvent) => void;
  /** The wait before fetch attempt `attempt` (0-based) after a failed or fruitless one. */
  retryDelayMs: (attempt: number) => number;
  /** A fetch failed (it is retried), or a hole in the log was skipped. */
  onError: (error: unknown) => void;
}

/** Fetches that bring nothing new, while the log says there is more, before the hole is skipped. */
const FRUITLESS_FETCH_LIMIT = 5;

/** What the client knows of one conversation. */
interface Stream {
  /** The last seq handed to the app. */
  cursor: number;
  /** Live events ahead of the cursor, waiting for those before them. */
  pending: Map<number, ConversationEvent>;
  /** A catch-up is running (set and cleared synchronously, so no request slips between). */
  busy: boolean;
  /** A catch-up was requested while one ran: it fetches once more before it ends. */
  again: boolean;
  /** Resolves when the current catch-up ends. */
  done: Promise<void>;
}

/**
 * Exactly-once, in-order delivery of durable events per conversation, from two sources that
 * overlap and each lose things: live frames (lost while disconnected, duplicated across
 * reconnects) and the event log (complete, fetched by seq).
 *
 * Each conversation keeps a cursor — the last seq handed to the app. A live event at or below
 * it is a duplicate and is dropped; the next one goes straight out; one further ahead waits
 * while the gap is fetched from the log. A catch-up reads the log from the cursor until it
 * reaches the log's last seq; live events arriving meanwhile wait and are merged in by seq.
 */
export class EventSequencer {
  private readonly streams = new Map<string, Stream>();
  private readonly timers = new Set<{ timer: ReturnType<typeof setTimeout>; wake: () => void }>();
  private stopped = false;

  constructor(private readonly options: EventSequencerOptions) {}

  /** Starts conversations at cursors the app saved; unknown conversations start at 0. */
  seed(cursors: Record<string, number>): void {
    for (const [conversationId, cursor] of Object.entries(cursors)) {
      const stream = this.stream(conversationId);
      if (cursor > stream.cursor) stream.cursor = cursor;
    }
  }

  /** The last seq handed to the app, per conversation: what to save to resume later. */
  cursors(): Record<string, number> {
    return Object.fromEntries([...this.streams].map(([id, stream]) => [id, stream.cursor]));
  }

  cursor(conversationId: string): number | undefined {
    return this.streams.get(conversationId)?.cursor;
  }

  /** A live event from the socket. */
  receive(event: ConversationEvent): void {
    if (this.stopped) return;
    const stream = this.stream(event.conversationId);
    if (event.seq <= stream.cursor) return;
    if (!stream.busy && event.seq === stream.cursor + 1) {
      this.deliver(stream, event);
      return;
    }
    stream.pending.set(event.seq, event);
    if (!stream.busy) void this.catchUpOne(event.conversationId);
  }

  /** Catches conversations up from their cursors to the log's end; resolves when all have. */
  async catchUp(conversationIds: Iterable<string>): Promise<void> {
    await Promise.all([...conversationIds].map((id) => this.catchUpOne(id)));
  }

  /** Ends every catch-up; nothing is delivered afterwards. */
  stop(): void {
    this.stopped = true;
    for (const { timer, wake } of this.timers) {
      clearTimeout(timer);
      wake();
    }
    this.timers.clear();
  }

  private stream(conversationId: string): Stream {
    let stream = this.streams.get(conversationId);
    if (!stream) {
      stream = { cursor: 0, pending: new Map(), busy: false, again: false, done: Promise.resolve() };
      this.streams.set(conversationId, stream);
    }
    return stream;
  }

  private catchUpOne(conversationId: string): Promise<void> {
    const stream = this.stream(conversationId);
    if (stream.busy) {
      stream.again = true;
      return stream.done;
    }
    stream.busy = true;
    stream.done = this.run(conversationId, stream);
    return stream.done;
  }

  private async run(conversationId: string, stream: Stream): Promise<void> {
    let failures = 0;
    let fruitless = 0;
    try {
      while (!this.stopped && this.streams.get(conversationId) === stream) {
        stream.again = false;
        const before = stream.cursor;
        let page: EventLogPage;
        try {
          page = await this.options.fetchEvents(conversationId, stream.cursor);
          failures = 0;
        } catch (error) {
          if (isGone(error)) {
            // No longer a member (or the conversation is gone): nothing more to deliver.
            this.streams.delete(conversationId);
            return;
          }
          this.options.onError(error);
          await this.sleep(this.options.retryDelayMs(failures++));
          continue;
        }
        if (this.stopped) return;
        for (const item of page.items) this.offer(stream, fromLog(item));
        this.drain(stream);

        const behind = stream.cursor < page.lastSeq || stream.pending.size > 0;
        if (!behind && !stream.again) return;
        if (stream.cursor > before) {
          fruitless = 0;
        } else if (++fruitless >= FRUITLESS_FETCH_LIMIT) {
          this.skipHole(conversationId, stream, page.lastSeq);
          fruitless = 0;
        } else {
          // The log is behind what we were told (a replica lagging, say): give it a moment.
          await this.sleep(this.options.retryDelayMs(fruitless - 1));
        }
      }
    } finally {
      stream.busy = false;
    }
  }

  /** Gives up on seqs the log keeps not returning, so one hole cannot stall a conversation. */
  private skipHole(conversationId: string, stream: Stream, lastSeq: number): void {
    const next = stream.pending.size > 0 ? Math.min(...stream.pending.keys()) : lastSeq + 1;
    this.options.onError(
      new Error(
        `conversation ${conversationId}: seqs ${stream.cursor + 1}..${next - 1} are not in the log; skipped`,
      ),
    );
    stream.cursor = next - 1;
    this.drain(stream);
  }

  /** Delivers an event from the log if it is the next one; later ones wait like live ones. */
  private offer(stream: Stream, event: ConversationEvent): void {
    if (event.seq <= stream.cursor) return;
    if (event.seq === stream.cursor + 1) this.deliver(stream, event);
    else stream.pending.set(event.seq, event);
  }

  /** Delivers waiting events while they follow the cursor; drops those it already passed. */
  private drain(stream: Stream): void {
    for (const seq of [...stream.pending.keys()]) if (seq <= stream.cursor) stream.pending.delete(seq);
    for (
      let next = stream.pending.get(stream.cursor + 1);
      next;
      next = stream.pending.get(stream.cursor + 1)
    ) {
      stream.pending.delete(next.seq);
      this.deliver(stream, next);
    }
  }

  private deliver(stream: Stream, event: ConversationEvent): void {
    stream.cursor = event.seq;
    this.options.deliver(event);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.timers.add(entry);
    });
  }
}

/** The caller may no longer read the conversation. */
function isGone(error: unknown): boolean {
  return error instanceof SecureConnectError && (error.status === 403 || error.status === 404);
}

function fromLog(item: LoggedEvent): ConversationEvent {
  return {
    conversationId: item.conversationId,
    seq: item.seq,
    event: item.event,
    data: item.data,
  } as ConversationEvent;
}
