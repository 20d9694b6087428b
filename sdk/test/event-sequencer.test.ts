import { describe, expect, it, vi } from 'vitest';
import { SecureConnectError } from '../src/errors';
import { type EventLogPage, EventSequencer } from '../src/event-sequencer';
import type { ConversationEvent, LoggedEvent } from '../src/types';

const A = 'conversation-a';
const B = 'conversation-b';

function event(conversationId: string, seq: number): ConversationEvent {
  return { conversationId, seq, event: 'read', data: { userId: 'u', seq } };
}

/**
 * A conversation event log as the server keeps it, read in pages like `conversations.events`,
 * and the sequencer under test wired to it.
 */
function setup({
  pageSize = 3,
  fail = () => false,
}: {
  pageSize?: number;
  fail?: (call: number) => boolean;
} = {}) {
  const logs = new Map<string, number>();
  const delivered: ConversationEvent[] = [];
  const errors: unknown[] = [];
  const fetches: { conversationId: string; after: number }[] = [];
  let release: (() => void) | undefined;
  let hold = false;
  const sequencer = new EventSequencer({
    fetchEvents: async (conversationId, after): Promise<EventLogPage> => {
      fetches.push({ conversationId, after });
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      if (fail(fetches.length)) throw new Error('network down');
      if (!logs.has(conversationId))
        throw new SecureConnectError({ type: 'x', title: 'Not Found', status: 404, detail: 'gone' });
      const lastSeq = logs.get(conversationId) ?? 0;
      const items: LoggedEvent[] = [];
      for (let seq = after + 1; seq <= Math.min(lastSeq, after + pageSize); seq++)
        items.push({ ...event(conversationId, seq), actorId: null, createdAt: new Date(0).toISOString() });
      return { items, lastSeq };
    },
    deliver: (delivery) => delivered.push(delivery),
    retryDelayMs: () => 1,
    onError: (error) => errors.push(error),
  });
  return {
    sequencer,
    delivered,
    errors,
    fetches,
    /** The server appends events up to `seq`. */
    append: (conversationId: string, seq: number) => logs.set(conversationId, seq),
    seqs: (conversationId = A) =>
      delivered
        .filter((delivery) => delivery.conversationId === conversationId)
        .map((delivery) => delivery.seq),
    /** Makes fetches wait until `release()`, to act while a catch-up is in flight. */
    holdFetches: () => {
      hold = true;
    },
    release: () => {
      hold = false;
      release?.();
    },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe('EventSequencer', () => {
  it('delivers live events that follow the cursor at once, without reading the log', () => {
    const { sequencer, seqs, fetches } = setup();
    for (const seq of [1, 2, 3]) sequencer.receive(event(A, seq));
    expect(seqs()).toEqual([1, 2, 3]);
    expect(fetches).toEqual([]);
    expect(sequencer.cursors()).toEqual({ [A]: 3 });
  });

  it('drops a live event at or below the cursor: a duplicate', () => {
    const { sequencer, seqs } = setup();
    for (const seq of [1, 2, 2, 1, 3, 3]) sequencer.receive(event(A, seq));
    expect(seqs()).toEqual([1, 2, 3]);
  });

  it('fetches a gap before delivering what follows it', async () => {
    const { sequencer, seqs, append, fetches } = setup();
    append(A, 6);
    sequencer.receive(event(A, 1));
    sequencer.receive(event(A, 6));
    await vi.waitFor(() => expect(seqs()).toEqual([1, 2, 3, 4, 5, 6]));
    expect(fetches[0]).toEqual({ conversationId: A, after: 1 });
  });

  it('catches up page by page from the cursor to the last seq', async () => {
    const { sequencer, seqs, append, fetches } = setup({ pageSize: 3 });
    sequencer.seed({ [A]: 2 });
    append(A, 10);
    await sequencer.catchUp([A]);
    expect(seqs()).toEqual(range(3, 10));
    expect(fetches.map((fetch) => fetch.after)).toEqual([2, 5, 8]);
  });

  it('holds live events back during a catch-up and merges them in by seq, each once', async () => {
    const { sequencer, seqs, append, holdFetches, release } = setup({ pageSize: 2 });
    append(A, 5);
    holdFetches();
    const caughtUp = sequencer.catchUp([A]);
    // Pushed while the first page is in flight: some the log will also return, some beyond it.
    append(A, 8);
    for (const seq of [4, 6, 7, 8, 5]) sequencer.receive(event(A, seq));
    expect(seqs()).toEqual([]);
    release();
    await caughtUp;
    expect(seqs()).toEqual(range(1, 8));
  });

  it('starts a conversation it has never seen at 0 and fetches its history', async () => {
    const { sequencer, seqs, append } = setup();
    append(B, 4);
    sequencer.receive(event(B, 4));
    await vi.waitFor(() => expect(seqs(B)).toEqual([1, 2, 3, 4]));
  });

  it('keeps conversations independent, and reports cursors to save and seed', async () => {
    const { sequencer, seqs, append } = setup();
    sequencer.seed({ [A]: 3 });
    append(A, 5);
    append(B, 2);
    await sequencer.catchUp([A, B]);
    expect(seqs(A)).toEqual([4, 5]);
    expect(seqs(B)).toEqual([1, 2]);
    expect(sequencer.cursors()).toEqual({ [A]: 5, [B]: 2 });
    expect(sequencer.cursor(B)).toBe(2);
  });

  it('retries a failed fetch and reports the failure', async () => {
    const { sequencer, seqs, append, errors } = setup({ fail: (call) => call <= 2 });
    append(A, 3);
    await sequencer.catchUp([A]);
    expect(seqs()).toEqual([1, 2, 3]);
    expect(errors).toHaveLength(2);
  });

  it('forgets a conversation the user may no longer read (404)', async () => {
    const { sequencer, seqs, errors } = setup();
    sequencer.seed({ [A]: 2 });
    await sequencer.catchUp([A]);
    expect(seqs()).toEqual([]);
    expect(sequencer.cursors()).toEqual({});
    expect(errors).toEqual([]);
  });

  it('fetches once more when asked to catch up while a catch-up runs (a reconnect mid-fetch)', async () => {
    const { sequencer, seqs, append, holdFetches, release } = setup();
    append(A, 2);
    holdFetches();
    const first = sequencer.catchUp([A]);
    // The new connection's baseline may include events the running fetch will not return.
    append(A, 4);
    const second = sequencer.catchUp([A]);
    release();
    await Promise.all([first, second]);
    expect(seqs()).toEqual([1, 2, 3, 4]);
  });

  it('skips a hole the log never fills, instead of stalling the conversation', async () => {
    const { sequencer, seqs, append, errors } = setup();
    // Seq 3 arrives live, but the log keeps answering that nothing comes after 0.
    append(A, 0);
    sequencer.receive(event(A, 3));
    await vi.waitFor(() => expect(seqs()).toEqual([3]));
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/seqs 1\.\.2 are not in the log/);
  });

  it('delivers 1..n exactly once in order, whatever order, repeats and losses the live stream has', async () => {
    const total = 300;
    const { sequencer, seqs, append } = setup({ pageSize: 7 });
    let random = 42;
    const next = () => {
      random = (random * 1103515245 + 12345) % 2 ** 31;
      return random / 2 ** 31;
    };
    for (let seq = 1; seq <= total; seq++) {
      append(A, seq);
      // A live stream that loses a third, repeats some and reorders neighbours.
      if (next() < 0.33) continue;
      sequencer.receive(event(A, seq));
      if (next() < 0.2) sequencer.receive(event(A, Math.max(1, seq - Math.floor(next() * 5))));
      if (next() < 0.1) await Promise.resolve();
    }
    await sequencer.catchUp([A]);
    expect(seqs()).toEqual(range(1, total));
  });

  it('delivers nothing after stop()', async () => {
    const { sequencer, seqs, append, holdFetches, release } = setup();
    append(A, 3);
    holdFetches();
    const caughtUp = sequencer.catchUp([A]);
    sequencer.stop();
    release();
    await caughtUp;
    sequencer.receive(event(A, 1));
    expect(seqs()).toEqual([]);
  });
});
