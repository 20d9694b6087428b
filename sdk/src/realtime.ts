import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff';
import type { SecureConnectClient } from './client';
import { Emitter } from './emitter';
import { SecureConnectError } from './errors';
import { EventSequencer } from './event-sequencer';
import {
  type ClientFrame,
  CloseCode,
  HEARTBEAT_TIMEOUT_CLOSE,
  parseServerFrame,
  type ServerFrame,
} from './frames';
import { remainingLifetimeMs, renewalDelayMs } from './token-lifetime';
import type { ConversationEvent, PresenceStatus, TokenPair } from './types';

/**
 * What the realtime client needs of a WebSocket: the browser's, or `ws` on Node (Node 20 has
 * none built in).
 */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/**
 * `connecting` (socket opening), `authenticating` (auth frame sent, waiting for `ready`), `open`
 * (ready: events flow), `reconnecting` (waiting to try again), `closed` (by `close()`, or given
 * up because the session ended).
 */
export type ConnectionState = 'idle' | 'connecting' | 'authenticating' | 'open' | 'reconnecting' | 'closed';

/** Listeners of a {@link RealtimeClient}, by event name. */
export interface RealtimeEvents {
  /** A durable event: per conversation in seq order, each exactly once, across any disconnects. */
  event: (event: ConversationEvent) => void;
  /** Someone is typing (never your own typing). */
  typing: (typing: { conversationId: string; userId: string }) => void;
  /** A user sharing a conversation with you changed status (repeats of the same status are left out). */
  presence: (presence: { userId: string; status: PresenceStatus }) => void;
  /** WebRTC signalling (offer, answer, ICE candidate) from another member of a P2P call, in the order sent. */
  signal: (signal: { callId: string; from: string; payload: unknown }) => void;
  /** The socket is authenticated; catch-up of `conversationIds` starts now. */
  ready: (ready: { userId: string; conversationIds: string[] }) => void;
  /** Every conversation of the last `ready` has been caught up to the log's end. */
  synced: () => void;
  state: (state: ConnectionState) => void;
  /** Something went wrong that the client handles by itself (a failed catch-up fetch, a refused frame), or a listener threw. */
  error: (error: unknown) => void;
}

/** How a {@link RealtimeClient} connects and where it resumes. */
export interface RealtimeClientOptions {
  /** Default: `globalThis.WebSocket`. On Node 20 pass `WebSocket` from the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** Default: the REST client's base URL with `ws(s):` and `/v1/realtime`. */
  url?: string;
  /** Last seq handed to the app per conversation, as saved from {@link RealtimeClient.cursors}. */
  cursors?: Record<string, number>;
  /** Reconnect and catch-up retry delays; default 250 ms doubling up to 15 s, jittered. */
  backoff?: Partial<BackoffOptions>;
  /** How often to ping the gateway; default 25 s. A socket silent for this plus `pongTimeoutMs` is replaced. */
  pingIntervalMs?: number;
  /** Default 10 s. */
  pongTimeoutMs?: number;
  /** Conversation events fetched per catch-up request; default 500 (the server's maximum). */
  catchUpPageSize?: number;
}

const REALTIME_PATH = '/v1/realtime';

/**
 * The realtime connection (SPEC §6) with recovery built in: authenticates with the REST client's
 * access token (first frame, never in the URL), renews that token before it expires and hands the
 * new one to the open socket (a later `auth` frame), reconnects with capped, jittered exponential
 * backoff after any close but {@link close}, renews the token once on 4401, and after every
 * `ready` catches each conversation up from its cursor through the event log — so the app sees
 * each durable event exactly once, in seq order, whatever happened to the socket, the gateway
 * or Redis in between.
 *
 * @example
 * const realtime = new RealtimeClient(client, { WebSocket, cursors: loadCursors() });
 * realtime.on('event', (event) => {
 *   applyToUi(event);
 *   saveCursors(realtime.cursors());
 * });
 * await realtime.connect();
 */
export class RealtimeClient {
  private readonly emitter = new Emitter<RealtimeEvents>((error, event) => this.listenerFailed(error, event));
  private readonly sequencer: EventSequencer;
  private readonly WebSocket: WebSocketConstructor;
  private readonly url: string;
  private readonly backoff: BackoffOptions;
  private readonly pingIntervalMs: number;
  private readonly pongTimeoutMs: number;
  private socket: WebSocketLike | undefined;
  private currentState: ConnectionState = 'idle';
  /** Reconnects since the last `ready`, for the backoff. */
  private attempt = 0;
  /** The token the current socket last authenticated with, to renew exactly that one. */
  private sentToken: string | undefined;
  /** The REST client's latest access token and when it arrived (local clock), to time its renewal. */
  private received: { token: string; at: number } | undefined;
  /** Renews {@link sentToken} before it expires, while the socket is open. */
  private renewTimer: ReturnType<typeof setTimeout> | undefined;
  /** Failed renewals in a row, for the backoff. */
  private renewAttempt = 0;
  private unwatchTokens: (() => void) | undefined;
  /** A 4401 was answered with renewed tokens since the last `ready`; a second one ends the session. */
  private renewedSinceReady = false;
  private lastFrameAt = 0;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private presenceStatus: PresenceStatus | undefined;
  private readonly knownPresence = new Map<string, PresenceStatus>();
  private readonly firstReady: Promise<void>;
  private settleFirstReady: { resolve: () => void; reject: (error: unknown) => void } | undefined;

  constructor(
    private readonly client: SecureConnectClient,
    options: RealtimeClientOptions = {},
  ) {
    const WebSocketClass =
      options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketClass)
      throw new TypeError('No WebSocket available: pass options.WebSocket (e.g. from the "ws" package).');
    this.WebSocket = WebSocketClass;
    this.url = options.url ?? `${client.baseUrl.replace(/^http/, 'ws')}${REALTIME_PATH}`;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.pingIntervalMs = options.pingIntervalMs ?? 25_000;
    this.pongTimeoutMs = options.pongTimeoutMs ?? 10_000;
    const limit = options.catchUpPageSize ?? 500;
    this.sequencer = new EventSequencer({
      fetchEvents: (conversationId, after) => client.conversations.events(conversationId, { after, limit }),
      deliver: (event) => this.emitter.emit('event', event),
      retryDelayMs: (attempt) => backoffDelay(attempt, this.backoff),
      onError: (error) => this.emitter.emit('error', error),
    });
    this.sequencer.seed(options.cursors ?? {});
    this.firstReady = new Promise((resolve, reject) => {
      this.settleFirstReady = { resolve, reject };
    });
    // connect() hands this promise out; a rejection nobody awaits must not crash the app.
    this.firstReady.catch(() => {});
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** Adds a listener; returns the function that removes it. Add them before {@link connect}. */
  on<K extends keyof RealtimeEvents>(event: K, listener: RealtimeEvents[K]): () => void {
    return this.emitter.on(event, listener);
  }

  /**
   * Opens the connection (and keeps it open until {@link close}). Resolves on the first
   * `ready`; rejects if the client is closed or the session ends before that.
   */
  connect(): Promise<void> {
    if (this.currentState === 'idle') {
      this.unwatchTokens = this.client.watchTokens((tokens) => this.tokensChanged(tokens));
      this.open();
    }
    return this.firstReady;
  }

  /** Closes for good: no reconnect, no more events. To resume later, start a new client with {@link cursors}. */
  close(): void {
    if (this.currentState === 'closed') return;
    this.setState('closed');
    clearTimeout(this.reconnectTimer);
    this.stopRenewal();
    this.unwatchTokens?.();
    this.unwatchTokens = undefined;
    this.stopHeartbeat();
    this.sequencer.stop();
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000, 'client closed');
    this.settleFirstReady?.reject(new Error('the realtime client was closed before it was ready'));
  }

  /** The last seq handed to the app per conversation: persist it to resume without replaying. */
  cursors(): Record<string, number> {
    return this.sequencer.cursors();
  }

  cursor(conversationId: string): number | undefined {
    return this.sequencer.cursor(conversationId);
  }

  /** Tells the other members you are typing (dropped while not connected: it is ephemeral). */
  typing(conversationId: string): void {
    this.sendFrame({ type: 'typing', conversationId });
  }

  /**
   * Sends WebRTC signalling of a P2P call (`mode: p2p` from calls.start/join) to one member of the
   * call's conversation, relayed by the gateway in order. Ephemeral: dropped while not connected,
   * as WebRTC renegotiates anyway.
   */
  signal(callId: string, to: string, payload: unknown): void {
    this.sendFrame({ type: 'signal', callId, to, payload });
  }

  /** Your status as others see it; remembered and asserted again after every reconnect. */
  setPresence(status: PresenceStatus): void {
    this.presenceStatus = status;
    this.sendFrame({ type: 'presence', status });
  }

  private open(): void {
    this.setState('connecting');
    const socket = new this.WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener('open', () => {
      if (socket !== this.socket) return;
      // Read now, not at connect: the REST client may have renewed the tokens meanwhile.
      const token = this.client.tokens?.accessToken;
      if (!token) {
        this.giveUp(new Error('not logged in: the realtime client needs the REST client to hold a session'));
        return;
      }
      this.sentToken = token;
      socket.send(JSON.stringify({ type: 'auth', token } satisfies ClientFrame));
      this.setState('authenticating');
      this.startHeartbeat();
    });
    socket.addEventListener('message', (event) => {
      if (socket !== this.socket) return;
      this.lastFrameAt = Date.now();
      const frame = parseServerFrame(event.data);
      if (frame) this.handle(frame);
    });
    socket.addEventListener('close', (event) => {
      if (socket === this.socket) this.lost(event.code);
    });
    // An error is always followed by a close, which decides what to do.
    socket.addEventListener('error', () => {});
  }

  private handle(frame: ServerFrame): void {
    switch (frame.type) {
      case 'ready': {
        this.attempt = 0;
        this.renewAttempt = 0;
        this.renewedSinceReady = false;
        this.setState('open');
        if (this.presenceStatus) this.sendFrame({ type: 'presence', status: this.presenceStatus });
        // The REST client may have renewed the tokens while this socket was authenticating.
        const current = this.client.tokens?.accessToken;
        if (current) this.offerToken(current);
        this.scheduleRenewal();
        this.settleFirstReady?.resolve();
        this.emitter.emit('ready', { userId: frame.userId, conversationIds: frame.conversationIds });
        void this.sequencer.catchUp(frame.conversationIds).then(() => {
          if (this.currentState === 'open') this.emitter.emit('synced');
        });
        return;
      }
      case 'event': {
        const { type: _frameType, ...event } = frame;
        this.sequencer.receive(event as ConversationEvent);
        return;
      }
      case 'joined':
        void this.sequencer.catchUp([frame.conversationId]);
        return;
      case 'typing':
        this.emitter.emit('typing', { conversationId: frame.conversationId, userId: frame.userId });
        return;
      case 'presence':
        if (this.knownPresence.get(frame.userId) === frame.status) return;
        this.knownPresence.set(frame.userId, frame.status);
        this.emitter.emit('presence', { userId: frame.userId, status: frame.status });
        return;
      case 'signal':
        this.emitter.emit('signal', { callId: frame.callId, from: frame.from, payload: frame.payload });
        return;
      case 'error':
        this.emitter.emit('error', new Error(`gateway refused a frame: ${frame.code}: ${frame.message}`));
        return;
      case 'pong':
        return;
    }
  }

  /** The socket closed without {@link close}: reconnect, after renewing the token on 4401. */
  private lost(code: number): void {
    this.socket = undefined;
    this.stopHeartbeat();
    this.stopRenewal();
    if (this.currentState === 'closed') return;
    this.setState('reconnecting');
    if (code === CloseCode.unauthorized) {
      void this.renewAndReconnect();
      return;
    }
    // A gateway going away is routine: come back soon, but jittered (everyone else is too).
    this.reconnectLater(code === CloseCode.goingAway ? 0 : this.attempt++);
  }

  private async renewAndReconnect(): Promise<void> {
    const rejected = this.sentToken;
    if (this.renewedSinceReady || rejected === undefined) {
      this.giveUp(new Error('the gateway refused the renewed access token (4401): the session has ended'));
      return;
    }
    this.renewedSinceReady = true;
    try {
      await this.client.renewTokens(rejected);
    } catch (error) {
      if (sessionEnded(error)) {
        this.giveUp(error);
        return;
      }
      // The API is unreachable or busy: try again later, renewing once more.
      this.renewedSinceReady = false;
      this.emitter.emit('error', error);
    }
    this.reconnectLater(this.attempt++);
  }

  /**
   * The REST client's tokens changed (a refresh, whoever asked for it): the open socket takes the
   * new access token at once, so it never holds an older one than the client.
   */
  private tokensChanged(tokens: TokenPair | null): void {
    // A session that ended (null) is noticed at the next renewal or when the gateway closes with 4401.
    if (!tokens) return;
    this.received = { token: tokens.accessToken, at: Date.now() };
    // Called from inside the REST client's refresh: a failure here must not fail that refresh.
    try {
      this.offerToken(tokens.accessToken);
    } catch (error) {
      this.emitter.emit('error', error);
    }
  }

  /** Sends `token` to the open socket (an `auth` frame; the gateway extends the connection's expiry) unless it holds it already. */
  private offerToken(token: string): void {
    if (this.currentState !== 'open' || !this.socket || token === this.sentToken) return;
    this.sentToken = token;
    this.socket.send(JSON.stringify({ type: 'auth', token } satisfies ClientFrame));
    this.scheduleRenewal();
  }

  /** Arms the renewal of the socket's token, from its `exp`; a token that is not a readable JWT is renewed on 4401 only. */
  private scheduleRenewal(delayMs?: number): void {
    this.stopRenewal();
    const token = this.sentToken;
    if (this.currentState !== 'open' || token === undefined) return;
    if (delayMs === undefined) {
      const receivedAt = this.received?.token === token ? this.received.at : undefined;
      const remaining = remainingLifetimeMs(token, Date.now(), receivedAt);
      if (remaining === undefined) return;
      delayMs = renewalDelayMs(remaining);
    }
    this.renewTimer = setTimeout(() => void this.renewOpenSocket(), delayMs);
  }

  private isClosed(): boolean {
    return this.currentState === 'closed';
  }

  private stopRenewal(): void {
    clearTimeout(this.renewTimer);
    this.renewTimer = undefined;
  }

  /**
   * Renews the open socket's token through the REST client (sharing its one refresh in flight) and
   * sends the new one. A refused refresh ends the session; any other failure is retried with
   * backoff — and should the token expire first, the gateway's 4401 leads to renew-and-reconnect.
   */
  private async renewOpenSocket(): Promise<void> {
    this.renewTimer = undefined;
    const socket = this.socket;
    const held = this.sentToken;
    if (this.currentState !== 'open' || !socket || held === undefined) return;
    let tokens: TokenPair;
    try {
      tokens = await this.client.renewTokens(held);
    } catch (error) {
      // Nothing reaches the app after close(); the state is read anew, past the await.
      if (this.isClosed()) return;
      if (sessionEnded(error)) {
        this.giveUp(error);
        return;
      }
      this.emitter.emit('error', error);
      // Unless the socket was replaced or handed newer tokens meanwhile, which rearmed the timer.
      if (socket === this.socket && this.sentToken === held && this.renewTimer === undefined)
        this.scheduleRenewal(backoffDelay(this.renewAttempt++, this.backoff));
      return;
    }
    this.renewAttempt = 0;
    // Usually sent already, when the refresh reported the tokens; a replaced socket took the newest at open.
    if (socket === this.socket) this.offerToken(tokens.accessToken);
  }

  private reconnectLater(attempt: number): void {
    if (this.currentState === 'closed') return;
    this.reconnectTimer = setTimeout(
      () => {
        if (this.currentState !== 'closed') this.open();
      },
      backoffDelay(attempt, this.backoff),
    );
  }

  /** The session ended (a refresh refused, or a renewed token refused too): stop and say why. */
  private giveUp(error: unknown): void {
    // Both renewal paths may wait on the same refused refresh: say it once.
    if (this.currentState === 'closed') return;
    this.emitter.emit('error', error);
    this.settleFirstReady?.reject(error);
    this.close();
  }

  private sendFrame(frame: ClientFrame): void {
    if (this.currentState === 'open') this.socket?.send(JSON.stringify(frame));
  }

  /** Pings on an interval; a socket that stays silent past the deadline is dead and is replaced. */
  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.lastFrameAt = Date.now();
    this.heartbeat = setInterval(() => {
      const socket = this.socket;
      if (!socket) return;
      if (Date.now() - this.lastFrameAt > this.pingIntervalMs + this.pongTimeoutMs) {
        // Half-open TCP can take minutes to report; do not wait for the close handshake either.
        socket.close(HEARTBEAT_TIMEOUT_CLOSE, 'heartbeat timeout');
        this.lost(HEARTBEAT_TIMEOUT_CLOSE);
        return;
      }
      if (this.currentState === 'open') socket.send(JSON.stringify({ type: 'ping' } satisfies ClientFrame));
    }, this.pingIntervalMs);
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private setState(state: ConnectionState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.emitter.emit('state', state);
  }

  /** A listener threw: report it to `error` listeners, or rethrow out of band so it is not lost. */
  private listenerFailed(error: unknown, event: keyof RealtimeEvents): void {
    if (event !== 'error' && this.emitter.has('error')) this.emitter.emit('error', error);
    else
      setTimeout(() => {
        throw error;
      });
  }
}

/** A refresh the server refused: the refresh token is spent or revoked, so the session is over. */
function sessionEnded(error: unknown): boolean {
  return error instanceof SecureConnectError && (error.status === 400 || error.status === 401);
}
