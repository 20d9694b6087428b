/** One typing frame per conversation per this interval is relayed; clients repeat it while typing. */
const PER_CONVERSATION_INTERVAL_MS = 1000;
/** Over all conversations, at most this many relayed per window… */
const WINDOW_LIMIT = 20;
const WINDOW_MS = 10_000;

/** The verdict on one typing frame. */
export type TypingVerdict = 'relay' | 'repeat' | 'limited';

/**
 * Per-socket typing limits: repeats within a second are absorbed silently (`repeat`), and a
 * socket relaying more than WINDOW_LIMIT per WINDOW_MS is told it is `limited`.
 */
export class TypingThrottle {
  private readonly lastRelayed = new Map<string, number>();
  private windowStart = 0;
  private windowCount = 0;

  check(conversationId: string, now = Date.now()): TypingVerdict {
    const last = this.lastRelayed.get(conversationId);
    if (last !== undefined && now - last < PER_CONVERSATION_INTERVAL_MS) return 'repeat';
    if (now - this.windowStart >= WINDOW_MS) {
      this.windowStart = now;
      this.windowCount = 0;
      this.lastRelayed.clear();
    }
    if (this.windowCount >= WINDOW_LIMIT) return 'limited';
    this.windowCount++;
    this.lastRelayed.set(conversationId, now);
    return 'relay';
  }
}
