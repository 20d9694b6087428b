import type { ConversationEvent, PresenceStatus } from './types';

/**
 * The frames of `GET /v1/realtime` (SPEC §6) as the client sees them. Close codes are those of
 * the gateway's protocol.
 */

export const CloseCode = {
  /** The gateway is shutting down: reconnect (to another gateway). */
  goingAway: 1001,
  /** The access token was refused or expired, or the session was revoked. */
  unauthorized: 4401,
  /** This client read too slowly and its send buffer overflowed: reconnect and catch up. */
  slowConsumer: 4429,
} as const;

/** Close code the client uses when it gives up on a silent socket. */
export const HEARTBEAT_TIMEOUT_CLOSE = 4000;

export interface ReadyFrame {
  type: 'ready';
  userId: string;
  /** Every conversation this socket receives events of. */
  conversationIds: string[];
}

export type EventFrame = { type: 'event' } & ConversationEvent;

export interface TypingFrame {
  type: 'typing';
  conversationId: string;
  userId: string;
}

export interface PresenceFrame {
  type: 'presence';
  userId: string;
  status: PresenceStatus;
}

/** The gateway refused a client frame (e.g. typing in a conversation the user is not in). */
export interface ErrorFrame {
  type: 'error';
  code: string;
  message: string;
}

/**
 * The socket now receives a conversation it joined after `ready` (added to a group). Events that
 * happened before the gateway subscribed reach the client only through catch-up, which this
 * frame starts.
 */
export interface JoinedFrame {
  type: 'joined';
  conversationId: string;
}

/** WebRTC signalling from another member of a P2P call. */
export interface SignalFrame {
  type: 'signal';
  callId: string;
  from: string;
  payload: unknown;
}

export type ServerFrame =
  | SignalFrame
  | ReadyFrame
  | EventFrame
  | TypingFrame
  | PresenceFrame
  | ErrorFrame
  | JoinedFrame
  | { type: 'pong' };

/** Frames the client sends once `ready`. */
export type ClientFrame =
  | { type: 'auth'; token: string }
  | { type: 'typing'; conversationId: string }
  | { type: 'presence'; status: PresenceStatus }
  | { type: 'ping' }
  | { type: 'signal'; callId: string; to: string; payload: unknown };

/** A server frame, or undefined for text that is not one (a newer gateway's frame, say). */
export function parseServerFrame(text: unknown): ServerFrame | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const frame = JSON.parse(text) as { type?: unknown } | null;
    return frame && typeof frame.type === 'string' ? (frame as ServerFrame) : undefined;
  } catch {
    return undefined;
  }
}
