import { PRESENCE_STATUSES, type PresenceStatus } from '@secureconnect/shared/realtime/presence-store';
import * as v from 'valibot';

/**
 * The wire protocol of `GET /v1/realtime` (SPEC §6): JSON text frames, one object per frame.
 * Durable `event` frames are encoded by the publisher (encodeEventFrame) and forwarded verbatim;
 * everything else the gateway says is built here.
 */

/** Close codes the gateway uses. 4xxx mirror the HTTP status of the same meaning. */
export const CloseCode = {
  /** The gateway is shutting down: reconnect (to another gateway). */
  goingAway: 1001,
  /** A dependency (database) failed while authenticating: reconnect with backoff. */
  tryAgainLater: 1013,
  /** Repeated invalid frames. */
  protocolViolation: 4400,
  /** Bad, expired or forged token; the session or the user was revoked; the token expired while connected. */
  unauthorized: 4401,
  /** No auth frame within REALTIME_AUTH_TIMEOUT_MS. */
  authTimeout: 4408,
  /** The socket's send buffer went over REALTIME_SEND_BUFFER_BYTES: reconnect and catch up by seq. */
  slowConsumer: 4429,
} as const;

/** Why the gateway closed a socket, as counted in `websocket_closes_total{reason}`. */
export type CloseReason =
  | 'shutdown'
  | 'auth-failed'
  | 'auth-timeout'
  | 'auth-unavailable'
  | 'token-expired'
  | 'revoked'
  | 'protocol'
  | 'slow-consumer'
  | 'heartbeat';

const Uuid = v.pipe(v.string(), v.uuid());

/** The first frame a client must send. */
export const AuthFrame = v.object({
  type: v.literal('auth'),
  token: v.pipe(v.string(), v.nonEmpty(), v.maxLength(4096)),
});

/** Frames a client may send once authenticated (and `auth` again, to extend the session with a fresh token). */
export const ClientFrame = v.variant('type', [
  AuthFrame,
  v.object({ type: v.literal('typing'), conversationId: Uuid }),
  v.object({ type: v.literal('presence'), status: v.picklist(PRESENCE_STATUSES) }),
  v.object({ type: v.literal('ping') }),
  // WebRTC signalling of a P2P call, for one member; the frame size cap bounds the payload.
  v.object({ type: v.literal('signal'), callId: Uuid, to: Uuid, payload: v.unknown() }),
]);

export type ClientFrame = v.InferOutput<typeof ClientFrame>;

/** Types a client may send, for the `unknown-type` error and the `websocket_messages_total` label. */
export const CLIENT_FRAME_TYPES = ['auth', 'typing', 'presence', 'ping', 'signal'] as const;

/** Machine-readable codes of `error` frames. */
export type ErrorCode = 'invalid-frame' | 'unknown-type' | 'not-a-member' | 'rate-limited' | 'unavailable';

/** Frames the gateway builds (event frames come pre-encoded from the publisher). */
export const frames = {
  ready: (userId: string, conversationIds: string[]) =>
    JSON.stringify({ type: 'ready', userId, conversationIds }),
  /** The user was added to a conversation while connected: it is now subscribed; catch up on it from seq 0. */
  joined: (conversationId: string) => JSON.stringify({ type: 'joined', conversationId }),
  pong: () => '{"type":"pong"}',
  error: (code: ErrorCode, message: string) => JSON.stringify({ type: 'error', code, message }),
  typing: (conversationId: string, userId: string) =>
    JSON.stringify({ type: 'typing', conversationId, userId }),
  presence: (userId: string, status: PresenceStatus) => JSON.stringify({ type: 'presence', userId, status }),
  signal: (callId: string, from: string, payload: unknown) =>
    JSON.stringify({ type: 'signal', callId, from, payload }),
};
