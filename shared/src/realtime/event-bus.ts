/**
 * Pub/sub between the HTTP functions (publishers) and the realtime gateways (subscribers).
 * Redis pub/sub in production, an in-process emitter in embedded mode.
 *
 * Delivery is best effort by design: every durable event is already in the conversation's event
 * log before it is published, so a lost publish (Redis down, a gateway restarting) costs latency,
 * never data — gateways and clients catch up from the log by seq.
 *
 * Channels (unprefixed; the adapter applies REDIS_KEY_PREFIX):
 * - `conv:<conversationId>` — encoded frames for the conversation's members: durable events
 *   (`encodeEventFrame`) and ephemeral `typing`/`presence` frames.
 * - `user:<userId>` — control messages for one user's sockets, JSON `UserSignal`.
 * - `sessions:revoked` — every session revocation, JSON `SessionRevocation`, for each process's
 *   memory of session verdicts (accounts/session-verdicts.ts). One channel, so that API processes
 *   hear revocations without also hearing every user's membership signals.
 */
export interface EventBus {
  /**
   * Never throws for an unreachable broker: it counts the miss, returns, and (Redis) replays the
   * payload once the broker answers — so a subscriber may hear a payload more than once.
   */
  publish(channel: string, payload: string): Promise<void>;
  /** Resolves once the subscription is active; the returned function unsubscribes. */
  subscribe(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>>;
  /** True while the broker is unreachable and only this process's subscribers get messages. */
  readonly degraded: boolean;
  close(): Promise<void>;
}

export const conversationChannel = (conversationId: string) => `conv:${conversationId}`;
export const userChannel = (userId: string) => `user:${userId}`;
/** Where session revocations are announced, besides their users' channels. */
export const sessionRevocationChannel = 'sessions:revoked';

/** What a gateway must do for one user's sockets. */
export type UserSignal =
  | { kind: 'membership'; conversationId: string; action: 'added' | 'removed' }
  | { kind: 'session-revoked'; sessionId: string }
  | { kind: 'user-revoked' }
  /** WebRTC signalling of a P2P call from another member, for this user's sockets. */
  | { kind: 'call-signal'; callId: string; from: string; payload: unknown };
