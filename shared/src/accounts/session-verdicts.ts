import * as v from 'valibot';
import type { Logger } from '../observability/logger';

/** Whether a session may still be used: live, or ended for good (sessions never come back). */
export type SessionVerdict = 'active' | 'revoked';

/**
 * What every process hears on `sessionRevocationChannel` (see realtime/event-bus.ts) when
 * sessions end: these sessions of this user are revoked.
 */
export interface SessionRevocation {
  userId: string;
  sessionIds: string[];
}

const SessionRevocationSchema = v.object({ userId: v.string(), sessionIds: v.array(v.string()) });

/** The payload published for a revocation. */
export function encodeSessionRevocation(revocation: SessionRevocation): string {
  return JSON.stringify(revocation);
}

function decodeSessionRevocation(payload: string): SessionRevocation | undefined {
  try {
    const parsed = v.safeParse(SessionRevocationSchema, JSON.parse(payload));
    return parsed.success ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How revocation announcements from every process reach this one: Redis pub/sub, or the
 * in-process bus of embedded mode (see revocation-feeds.ts).
 */
export interface RevocationFeed {
  /**
   * True while this process is known to have heard every announcement published until a moment
   * ago. Memory may vouch for a live session only then.
   */
  readonly current: boolean;
  /**
   * Changes with each new subscription: announcements published while there was none were
   * missed, so whatever was learnt before it must be learnt again.
   */
  readonly epoch: number;
  /** Hands each announcement's payload to `listener`; a feed has one listener. */
  listen(listener: (payload: string) => void): void;
  close(): Promise<void>;
}

/**
 * How long memory vouches for a live session before asking the stores again. It bounds what an
 * announcement lost without anyone noticing (a revoker cut off from Redis for longer than its
 * outbox keeps it) can cost on top of the key-value store's own verdict.
 */
const ACTIVE_MAX_AGE_MS = 15_000;
/** Entries at most, live and revoked together (about 10 MB); the oldest stored go first. */
const MAX_ENTRIES = 50_000;

interface Entry {
  verdict: SessionVerdict;
  /** `performance.now()` past which the entry is not used. */
  until: number;
}

/** The lookups of one user's sessions now in flight, and the announcements for that user heard meanwhile. */
interface UserLookups {
  running: number;
  announcements: number;
}

/**
 * One process's memory of session verdicts, in front of the key-value store, so that verifying
 * a live session's token costs no round trip. It holds 'active' briefly and 'revoked' for an
 * access token's lifetime (after which no token of the session is valid anyway), and may answer
 * 'active' only while the feed is current; 'revoked' is final and always answers.
 *
 * Why a stale 'active' is never stored. A lookup may read 'active' just before a revocation
 * commits and finish after its announcement arrived; storing the verdict then would replace the
 * announcement's tombstone. A lookup that begins after the announcement cannot carry one: the
 * tombstone answers first, and were it evicted, the key-value store does, where the revoker
 * wrote 'revoked' before announcing. So only lookups in flight when an announcement arrives are
 * suspect. Each user with lookups in flight has a counter that every announcement for that user
 * bumps, and a lookup stores 'active' only if it did not move meanwhile. The counter lives
 * exactly while lookups run, so no bound on memory can evict it mid-lookup, as it could the
 * tombstone. Announcements sent while there was no subscription never arrive: every new
 * subscription drops the 'active' entries, and a lookup that straddles one (or an unreadable
 * announcement, which may have named anyone) stores nothing. Storing while the feed is not
 * current is safe too: if the connection dropped, the next subscription drops the entry before
 * memory answers again; if not, the announcement is late, not lost, and replaces the entry.
 */
export class SessionVerdicts {
  private readonly entries = new Map<string, Entry>();
  private readonly lookups = new Map<string, UserLookups>();
  private epoch: number;
  /** Bumped whenever 'active' entries are dropped; a lookup that straddles it stores nothing. */
  private forgettings = 0;

  constructor(
    private readonly feed: RevocationFeed,
    private readonly options: { revokedMaxAgeSeconds: number; logger: Logger },
  ) {
    // Memory starts empty, so announcements before this point cannot matter.
    this.epoch = feed.epoch;
    feed.listen((payload) => this.hear(payload));
  }

  /** The verdict memory may give for a session, or undefined when the stores must be asked. */
  recall(sessionId: string): SessionVerdict | undefined {
    this.catchUp();
    const entry = this.entries.get(sessionId);
    if (entry === undefined) return undefined;
    if (entry.until <= performance.now()) {
      this.entries.delete(sessionId);
      return undefined;
    }
    return entry.verdict === 'revoked' || this.feed.current ? entry.verdict : undefined;
  }

  /** Runs `find` (the stores) and keeps its verdict unless an announcement may have overtaken it. */
  async lookUp(
    userId: string,
    sessionId: string,
    find: () => Promise<SessionVerdict>,
  ): Promise<SessionVerdict> {
    this.catchUp();
    const forgettings = this.forgettings;
    let lookups = this.lookups.get(userId);
    if (lookups === undefined) {
      lookups = { running: 0, announcements: 0 };
      this.lookups.set(userId, lookups);
    }
    lookups.running += 1;
    const announcements = lookups.announcements;
    try {
      const verdict = await find();
      this.catchUp();
      if (
        verdict === 'revoked' ||
        (lookups.announcements === announcements && this.forgettings === forgettings)
      ) {
        this.remember(sessionId, verdict);
      }
      return verdict;
    } finally {
      lookups.running -= 1;
      if (lookups.running === 0) this.lookups.delete(userId);
    }
  }

  /** Sessions that ended, announced by any process (this one included, before it publishes). */
  revoked({ userId, sessionIds }: SessionRevocation): void {
    const lookups = this.lookups.get(userId);
    if (lookups) lookups.announcements += 1;
    for (const sessionId of sessionIds) this.remember(sessionId, 'revoked');
  }

  private hear(payload: string): void {
    const revocation = decodeSessionRevocation(payload);
    if (revocation) {
      this.revoked(revocation);
      return;
    }
    // It may have named any session.
    this.options.logger.warn(
      { payload: payload.slice(0, 200) },
      'unreadable session revocation; forgetting every live session',
    );
    this.forgetActive();
  }

  private catchUp(): void {
    if (this.feed.epoch === this.epoch) return;
    this.epoch = this.feed.epoch;
    this.forgetActive();
  }

  private forgetActive(): void {
    this.forgettings += 1;
    for (const [sessionId, entry] of this.entries) {
      if (entry.verdict === 'active') this.entries.delete(sessionId);
    }
  }

  private remember(sessionId: string, verdict: SessionVerdict): void {
    const maxAgeMs = verdict === 'active' ? ACTIVE_MAX_AGE_MS : this.options.revokedMaxAgeSeconds * 1000;
    // Deleted first so that the entry moves to the end of the eviction order.
    this.entries.delete(sessionId);
    this.entries.set(sessionId, { verdict, until: performance.now() + maxAgeMs });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }
}
