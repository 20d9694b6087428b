import type { Socket } from 'node:net';
import type { Logger } from '@secureconnect/shared/observability/logger';
import type { Metrics } from '@secureconnect/shared/observability/metrics';
import * as v from 'valibot';
import type { WebSocket } from 'ws';
import type { ExpiryWheel } from './expiry-wheel';
import type { FlushScheduler } from './flush-scheduler';
import {
  AuthFrame,
  CLIENT_FRAME_TYPES,
  ClientFrame,
  CloseCode,
  type CloseReason,
  type ErrorCode,
  frames,
} from './protocol';
import { textFrame } from './wire-frame';

/** Who is on the other end, once the auth frame has been verified. */
export interface Session {
  userId: string;
  sessionId: string;
  /** When the access token expires, in epoch ms. */
  expiresAtMs: number;
}

/** What the node does with a connection's traffic. */
export interface ConnectionHandler {
  /**
   * Verifies the token and registers the connection; resolves with the `ready` frame, which is
   * the first frame the client receives. Throwing a {@link RefusedConnection} closes the socket.
   */
  authenticate(connection: Connection, token: string): Promise<string>;
  /** A valid frame from an authenticated connection (a later `auth` frame included). */
  frame(connection: Connection, frame: ClientFrame): void;
  /** The socket is gone, whoever closed it. Called once. */
  closed(connection: Connection): void;
}

/** Thrown by a {@link ConnectionHandler} to close the socket with a given code. */
export class RefusedConnection extends Error {
  constructor(
    readonly code: number,
    readonly reason: CloseReason,
    message: string,
  ) {
    super(message);
  }
}

/** Limits of one socket, from REALTIME_* configuration. */
export interface TransportSettings {
  authTimeoutMs: number;
  /** REALTIME_SEND_BUFFER_BYTES: past it the socket is a slow consumer and is closed. */
  sendBufferBytes: number;
}

/**
 * What every connection of a node shares. One object, so that each connection holds a single
 * reference to it rather than one field per collaborator.
 */
export interface Transport {
  handler: ConnectionHandler;
  scheduler: FlushScheduler;
  /** Closes each connection when its token expires (see {@link Connection.expire}). */
  expiries: ExpiryWheel<Connection>;
  settings: TransportSettings;
  metrics: Metrics;
  logger: Logger;
}

/** Invalid frames tolerated per window before the socket is closed for abuse. */
const INVALID_FRAME_LIMIT = 10;
const INVALID_FRAME_WINDOW_MS = 60_000;
/** Frames a client may send between its auth frame and `ready`; they are handled after it. */
const EARLY_FRAME_LIMIT = 16;
/** After a close frame, how long the peer gets to answer before the socket is destroyed. */
const CLOSE_GRACE_MS = 1000;

/** Identifies connections in logs; a number costs a connection nothing, unlike a UUID string. */
let lastConnectionId = 0;

type State = 'awaiting-auth' | 'authenticating' | 'open' | 'closed';

/**
 * One client's WebSocket: first-frame authentication within a deadline, validation of what the
 * client sends, and a bounded, coalesced write path for what it is sent.
 *
 * Writes are queued and flushed together (see {@link FlushScheduler}: at the end of the tick,
 * or after the coalescing interval while frames keep coming) with the TCP socket corked, so a
 * burst of frames leaves in one write. Frames are complete wire frames ({@link textFrame}) shared
 * by every recipient and written to the TCP socket as they are: nothing is copied, encoded or
 * framed per socket; `ws` still reads, answers pings and closes. When what is buffered for the
 * socket exceeds the send buffer cap, the client is not keeping up: queued frames are dropped and
 * the socket is closed (4429) — memory per socket stays bounded, and the client catches up by seq
 * after reconnecting.
 */
export class Connection {
  readonly id = ++lastConnectionId;
  /** Set once authenticated. */
  session: Session | undefined;
  /** Conversations this connection receives, kept current by membership signals. */
  readonly conversations = new Set<string>();
  private state: State = 'awaiting-auth';
  /** Frames for the next flush; undefined rather than empty, as it is on an idle socket. */
  private pending: Buffer[] | undefined;
  private pendingBytes = 0;
  lastFlushAt = Number.NEGATIVE_INFINITY;
  /** Frames received between the auth frame and `ready`, if any. */
  private earlyFrames: ClientFrame[] | undefined;
  private invalidFrames = 0;
  private invalidWindowStart = 0;
  /** Cleared by every ping round; a socket that answers none before the next is dead. */
  private alive = true;
  /** Until the auth frame arrives. */
  private authTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    /** The TCP socket under `ws`: flushes write their frames to it directly. */
    private readonly socket: Socket,
    private readonly transport: Transport,
  ) {
    transport.metrics.websocketConnections.inc();
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('close', () => this.onClosed());
    this.authTimer = setTimeout(
      () => this.close(CloseCode.authTimeout, 'auth-timeout', 'no auth frame in time'),
      transport.settings.authTimeoutMs,
    );
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** A frame from the client, as text (binary frames are refused). */
  receive(data: unknown): void {
    if (this.state === 'closed') return;
    this.alive = true;
    const frame = this.parse(data);
    if (this.state === 'awaiting-auth') {
      this.stopAuthTimer();
      if (!frame || !v.is(AuthFrame, frame)) {
        this.close(CloseCode.unauthorized, 'auth-failed', 'the first frame must be {"type":"auth","token"}');
        return;
      }
      this.state = 'authenticating';
      void this.authenticate(frame.token);
      return;
    }
    if (!frame) return;
    if (this.state === 'authenticating') {
      this.earlyFrames ??= [];
      if (this.earlyFrames.length >= EARLY_FRAME_LIMIT)
        this.close(CloseCode.protocolViolation, 'protocol', 'wait for ready');
      else this.earlyFrames.push(frame);
      return;
    }
    this.transport.handler.frame(this, frame);
  }

  /** Binds the verified session (replacing the one of an earlier token) and the close at its expiry (4401). */
  bindSession(session: Session): void {
    const { expiries } = this.transport;
    if (this.session) expiries.remove(this, this.session.expiresAtMs);
    this.session = session;
    if (session.expiresAtMs <= Date.now()) this.expire();
    else expiries.add(this, session.expiresAtMs);
  }

  /** The session's token has expired. */
  expire(): void {
    this.close(CloseCode.unauthorized, 'token-expired', 'access token expired');
  }

  /**
   * Queues a wire frame ({@link textFrame}) for the next flush. Returns false when it was not
   * queued: the socket is closed, or it is over its send-buffer cap and is being closed as a slow
   * consumer.
   *
   * The cap applies to what earlier flushes left undrained in the socket: a healthy socket
   * hands everything to the kernel at once, so it stays near zero there however large a burst is,
   * while a stalled one grows by each flush's frames until it passes the cap. A socket thus
   * holds at most the cap plus one flush's frames.
   */
  send(frame: Buffer): boolean {
    if (this.state === 'closed') return false;
    // Before `ready` nothing is flushed, so what waits in the queue counts as undrained too.
    const undrained = this.socket.writableLength + (this.state === 'open' ? 0 : this.pendingBytes);
    if (undrained > this.transport.settings.sendBufferBytes) {
      this.transport.metrics.websocketFramesDroppedTotal.inc((this.pending?.length ?? 0) + 1);
      this.close(CloseCode.slowConsumer, 'slow-consumer', 'send buffer full; reconnect and catch up');
      return false;
    }
    this.pendingBytes += frame.length;
    if (this.pending) this.pending.push(frame);
    else {
      this.pending = [frame];
      this.transport.scheduler.schedule(this);
    }
    return true;
  }

  /** Sends a frame the gateway built for this socket alone, counted by type. */
  reply(text: string, type: string): void {
    if (this.send(textFrame(text)))
      this.transport.metrics.websocketMessagesTotal.inc({ direction: 'out', type });
  }

  error(code: ErrorCode, message: string): void {
    this.reply(frames.error(code, message), 'error');
  }

  flush(): void {
    // Before `ready`, frames stay queued (still bounded by the send-buffer cap).
    const queued = this.pending;
    if (this.state !== 'open' || !queued) return;
    this.pending = undefined;
    this.pendingBytes = 0;
    // Once the client has sent its close frame `ws` has answered it: nothing may follow that.
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (queued.length === 1) {
      this.socket.write(queued[0] as Buffer);
      return;
    }
    this.socket.cork();
    for (const frame of queued) this.socket.write(frame);
    this.socket.uncork();
  }

  /** One heartbeat round: false (and the socket terminated) when the last ping got no answer. */
  heartbeat(): boolean {
    if (this.state === 'closed') return false;
    if (!this.alive) {
      this.transport.metrics.websocketClosesTotal.inc({ reason: 'heartbeat' });
      this.ws.terminate();
      return false;
    }
    this.alive = false;
    this.ws.ping();
    return true;
  }

  /** Closes with a code the client can act on; a peer that does not answer is cut off shortly after. */
  close(code: number, reason: CloseReason, message: string): void {
    if (this.state === 'closed') return;
    this.transport.metrics.websocketClosesTotal.inc({ reason });
    this.transport.logger.debug(
      { connectionId: this.id, userId: this.session?.userId, code, reason },
      'closing socket',
    );
    this.pending = undefined;
    this.pendingBytes = 0;
    // A close reason may hold at most 123 bytes; ws throws beyond that.
    let text = message;
    while (Buffer.byteLength(text) > 123) text = text.slice(0, -1);
    this.ws.close(code, text);
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
    this.onClosed();
  }

  private async authenticate(token: string): Promise<void> {
    let ready: string;
    try {
      ready = await this.transport.handler.authenticate(this, token);
    } catch (error) {
      if (error instanceof RefusedConnection) this.close(error.code, error.reason, error.message);
      else {
        this.transport.logger.error({ err: error }, 'authenticating a socket failed');
        this.close(CloseCode.tryAgainLater, 'auth-unavailable', 'try again later');
      }
      return;
    }
    if (this.state !== 'authenticating') return;
    this.state = 'open';
    // Frames delivered while subscribing waited in the queue; `ready` goes out ahead of them.
    const frame = textFrame(ready);
    this.pending = this.pending ? [frame, ...this.pending] : [frame];
    this.pendingBytes += frame.length;
    this.transport.scheduler.schedule(this);
    this.transport.metrics.websocketMessagesTotal.inc({ direction: 'out', type: 'ready' });
    const early = this.earlyFrames ?? [];
    this.earlyFrames = undefined;
    for (const frame of early) this.transport.handler.frame(this, frame);
  }

  /** Valid frame, or undefined after answering (or closing) for an invalid one. */
  private parse(data: unknown): ClientFrame | undefined {
    this.transport.metrics.websocketMessagesTotal.inc({ direction: 'in', type: frameType(data) });
    let json: unknown;
    try {
      if (typeof data !== 'string') throw new TypeError('binary frame');
      json = JSON.parse(data);
    } catch {
      this.invalid('invalid-frame', 'frames are JSON text');
      return undefined;
    }
    const result = v.safeParse(ClientFrame, json);
    if (result.success) return result.output;
    const type = (json as { type?: unknown } | null)?.type;
    if (typeof type === 'string' && !(CLIENT_FRAME_TYPES as readonly string[]).includes(type))
      this.invalid('unknown-type', `unknown frame type "${type.slice(0, 32)}"`);
    else this.invalid('invalid-frame', result.issues.map((issue) => issue.message).join('; '));
    return undefined;
  }

  private invalid(code: ErrorCode, message: string): void {
    if (this.state === 'awaiting-auth') return; // the caller closes with 4401
    const now = Date.now();
    if (now - this.invalidWindowStart > INVALID_FRAME_WINDOW_MS) {
      this.invalidWindowStart = now;
      this.invalidFrames = 0;
    }
    if (++this.invalidFrames > INVALID_FRAME_LIMIT)
      this.close(CloseCode.protocolViolation, 'protocol', 'too many invalid frames');
    else this.error(code, message);
  }

  private onClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.stopAuthTimer();
    if (this.session) this.transport.expiries.remove(this, this.session.expiresAtMs);
    this.transport.metrics.websocketConnections.dec();
    this.transport.handler.closed(this);
  }

  /** Cleared and dropped: a cleared Timeout kept in a field would outlive its purpose. */
  private stopAuthTimer(): void {
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
  }
}

/** The label for an incoming frame, limited to known types so clients cannot mint label values. */
function frameType(data: unknown): string {
  if (typeof data !== 'string') return 'binary';
  const match = /"type"\s*:\s*"([a-z]{1,16})"/.exec(data.slice(0, 64));
  const type = match?.[1];
  return type && (CLIENT_FRAME_TYPES as readonly string[]).includes(type) ? type : 'other';
}
