import { type ConversationEvent, encodeEventFrame } from '@secureconnect/shared/messaging/events';
import type { MessageStore } from '@secureconnect/shared/messaging/message-store';
import type { Logger } from '@secureconnect/shared/observability/logger';
import type { Metrics } from '@secureconnect/shared/observability/metrics';
import type { EventBus } from '@secureconnect/shared/realtime/event-bus';
import { textFrame } from './wire-frame';

/** Events fetched from the log per query. */
const PAGE_SIZE = 200;
/** Pages one poll or gap fetch may read for one conversation; a longer backlog waits for the next. */
const MAX_PAGES = 10;
/** Conversations polled at once while degraded, so an outage cannot flood the database. */
const POLL_CONCURRENCY = 8;

interface PendingFrame {
  seq: number;
  frame: Buffer;
}

/** Ordering state of one locally subscribed conversation. */
interface Stream {
  conversationId: string;
  /** The last seq delivered to local sockets; null until the baseline is known. */
  last: number | null;
  /** A log read is running; pushed frames wait in `queue` meanwhile. */
  busy: boolean;
  queue: PendingFrame[];
  closed: boolean;
}

/** What {@link Recovery} reads from and writes to. */
export interface RecoveryOptions {
  /** The message store; a function because it may be opened (or fail to open) lazily. */
  messageStore: () => Promise<MessageStore>;
  bus: EventBus;
  /** Writes a durable frame to the conversation's local sockets. */
  deliver: (conversationId: string, frame: Buffer) => void;
  /** REALTIME_DEGRADED_POLL_MS. */
  pollIntervalMs: number;
  logger: Logger;
  metrics: Metrics;
}

/**
 * Exactly-once, in-order delivery of durable events on this gateway, whatever the bus does.
 *
 * Each locally subscribed conversation remembers the last seq it delivered. A pushed frame with
 * the next seq goes straight out; an older one is a duplicate and is dropped; a newer one means
 * pushes were lost, so the gap is read from the event log (`eventsAfter`) first. While the event
 * bus is degraded, a bounded loop polls the log of every local conversation every
 * REALTIME_DEGRADED_POLL_MS; when the bus is back (and resubscribed) one last poll closes the
 * window between the two, then pushing takes over again.
 *
 * If the log itself cannot be read, delivery stays in order but skips what it could not fetch:
 * clients see the seq jump and catch up through the API, as after any disconnect.
 */
export class Recovery {
  private readonly streams = new Map<string, Stream>();
  private readonly timer: NodeJS.Timeout;
  private polling = false;
  private wasDegraded = false;

  constructor(private readonly options: RecoveryOptions) {
    this.timer = setInterval(() => void this.tick(), options.pollIntervalMs).unref();
  }

  /**
   * Starts ordering a conversation. Pushed frames are queued until `subscribed` resolves and the
   * baseline — the log's last seq once the subscription is active — is read; nothing older is
   * delivered (clients fetch history through the API).
   */
  async track(conversationId: string, subscribed: Promise<unknown>): Promise<void> {
    const stream: Stream = { conversationId, last: null, busy: true, queue: [], closed: false };
    this.streams.set(conversationId, stream);
    try {
      await subscribed;
      stream.last = await (await this.options.messageStore()).lastSeq(conversationId);
    } catch (error) {
      this.options.logger.warn(
        { err: error, conversationId },
        'event log unavailable; delivering pushes as they come',
      );
    } finally {
      stream.busy = false;
      this.drain(stream);
    }
  }

  untrack(conversationId: string): void {
    const stream = this.streams.get(conversationId);
    if (!stream) return;
    stream.closed = true;
    this.streams.delete(conversationId);
  }

  /** A durable frame pushed by the bus. */
  accept(conversationId: string, seq: number, frame: Buffer): void {
    const stream = this.streams.get(conversationId);
    if (!stream) return;
    stream.queue.push({ seq, frame });
    if (!stream.busy) this.drain(stream);
  }

  close(): void {
    clearInterval(this.timer);
    for (const id of [...this.streams.keys()]) this.untrack(id);
  }

  /** Delivers queued frames in seq order, dropping duplicates; stops at a gap to read it from the log. */
  private drain(stream: Stream): void {
    while (!stream.closed && stream.queue.length > 0) {
      const next = stream.queue[0] as PendingFrame;
      if (stream.last !== null && next.seq <= stream.last) {
        stream.queue.shift();
      } else if (stream.last === null || next.seq === stream.last + 1) {
        stream.queue.shift();
        this.deliver(stream, next.seq, next.frame);
      } else {
        void this.readLog(stream, 'gap', next.seq - 1);
        return;
      }
    }
  }

  /**
   * Reads events after `last` from the log and delivers them, then drains what was pushed
   * meanwhile. With `until` (a gap), stops there, and skips the gap if the log cannot be read.
   */
  private async readLog(stream: Stream, cause: 'gap' | 'poll', until?: number): Promise<void> {
    stream.busy = true;
    try {
      const store = await this.options.messageStore();
      if (stream.last === null) {
        stream.last = await store.lastSeq(stream.conversationId);
        return;
      }
      for (let page = 0; page < MAX_PAGES && !stream.closed; page++) {
        const events = await store.eventsAfter(stream.conversationId, stream.last, PAGE_SIZE);
        for (const event of events) {
          if (until !== undefined && event.seq > until) break;
          this.deliverFromLog(stream, event, cause);
        }
        if (events.length < PAGE_SIZE || (until !== undefined && stream.last >= until)) break;
      }
      if (until !== undefined && stream.last < until) {
        // The log does not (yet) hold the gap, or it is longer than one read: never loop on it.
        this.options.logger.warn(
          { conversationId: stream.conversationId, from: stream.last, until },
          'gap not filled from the event log; skipping it',
        );
        stream.last = until;
      }
    } catch (error) {
      this.options.logger.warn(
        { err: error, conversationId: stream.conversationId, cause },
        'event log read failed',
      );
      if (until !== undefined && stream.last !== null && stream.last < until) stream.last = until;
    } finally {
      stream.busy = false;
      this.drain(stream);
    }
  }

  private deliverFromLog(stream: Stream, event: ConversationEvent, cause: 'gap' | 'poll'): void {
    if (stream.last !== null && event.seq <= stream.last) return;
    this.options.metrics.realtimeEventsFromLogTotal.inc({ cause });
    // Encoded and framed once here, exactly as a publisher's would be, then shared by every local socket.
    this.deliver(stream, event.seq, textFrame(encodeEventFrame(event)));
  }

  private deliver(stream: Stream, seq: number, frame: Buffer): void {
    stream.last = seq;
    this.options.deliver(stream.conversationId, frame);
  }

  /**
   * Polls while the bus is degraded and once more after it recovers. A poll still running when
   * the next tick comes is not doubled: at most one round at a time, POLL_CONCURRENCY queries wide.
   */
  private async tick(): Promise<void> {
    const degraded = this.options.bus.degraded;
    if (!degraded && !this.wasDegraded) return;
    if (this.polling) return;
    this.polling = true;
    // Cleared only once a full round after recovery has run.
    this.wasDegraded = degraded;
    try {
      const waiting = [...this.streams.values()];
      const worker = async () => {
        for (let stream = waiting.shift(); stream; stream = waiting.shift()) {
          if (stream.busy || stream.closed) continue;
          this.options.metrics.realtimeDegradedPollsTotal.inc();
          await this.readLog(stream, 'poll');
        }
      };
      await Promise.all(Array.from({ length: POLL_CONCURRENCY }, worker));
    } finally {
      this.polling = false;
    }
  }
}
