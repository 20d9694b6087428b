import type { Socket } from 'node:net';
import { ProblemError } from '@secureconnect/shared/errors/problem';
import type { Platform } from '@secureconnect/shared/platform/platform';
import {
  conversationChannel,
  type EventBus,
  type UserSignal,
  userChannel,
} from '@secureconnect/shared/realtime/event-bus';
import { GatewayHeartbeats } from '@secureconnect/shared/realtime/gateway-heartbeats';
import type { PresenceStatus, PresenceStore } from '@secureconnect/shared/realtime/presence-store';
import type { WebSocket } from 'ws';
import { Broker } from './broker';
import { ExpiryWheel } from './expiry-wheel';
import { FlushScheduler } from './flush-scheduler';
import { Hub } from './hub';
import { PresenceRelay } from './presence-relay';
import { type ClientFrame, CloseCode, frames } from './protocol';
import { Recovery } from './recovery';
import { SignalRelay } from './signal-relay';
import { Connection, type ConnectionHandler, RefusedConnection, type Transport } from './transport';
import { TypingThrottle } from './typing-throttle';

/** Presence announcements per user at most this often. */
const PRESENCE_THROTTLE_MS = 2000;

/**
 * One gateway process: wires the transport (one {@link Connection} per socket), the {@link Hub}
 * (local routing), the {@link Broker} (event-bus subscriptions), {@link Recovery} (ordering and
 * degraded polling) and presence, over a Platform's stores. It handles what clients say —
 * authentication, typing, presence, ping — and what the bus says about users — membership
 * changes and revocations.
 */
export class RealtimeNode implements ConnectionHandler {
  private readonly hub: Hub;
  private readonly broker: Broker;
  private readonly recovery: Recovery;
  private readonly presence: PresenceRelay;
  private readonly scheduler: FlushScheduler;
  /** Every socket, authenticated or not: shutdown closes them all. */
  private readonly sockets = new Set<Connection>();
  private readonly typing = new WeakMap<Connection, TypingThrottle>();
  private readonly signals: SignalRelay;
  /** What each socket's client said it is; a socket that said nothing is online. */
  private readonly statuses = new WeakMap<Connection, PresenceStatus>();
  private readonly heartbeat: NodeJS.Timeout;
  /** This gateway's socket count in SQL, for the admin statistics. */
  private readonly heartbeats: GatewayHeartbeats;
  /** What every connection shares (built once the scheduler exists). */
  private readonly transport: Transport;
  private shuttingDown = false;

  private constructor(
    private readonly platform: Platform,
    private readonly bus: EventBus,
    private readonly presenceStore: PresenceStore,
  ) {
    const { config, logger, metrics } = platform;
    this.scheduler = new FlushScheduler(config.REALTIME_WRITE_COALESCE_MS);
    this.hub = new Hub(metrics);
    this.recovery = new Recovery({
      messageStore: () => platform.messageStore(),
      bus,
      deliver: (conversationId, frame) => this.hub.deliver(conversationId, frame, 'event'),
      pollIntervalMs: config.REALTIME_DEGRADED_POLL_MS,
      logger,
      metrics,
    });
    this.broker = new Broker({
      bus,
      hub: this.hub,
      recovery: this.recovery,
      onUserSignal: (userId, signal) => this.onUserSignal(userId, signal),
      logger,
    });
    this.signals = new SignalRelay({
      authorize: async (callId, from, to) =>
        (await (await platform.calls()).signalRoute(callId, from, to)) !== null,
      deliver: (to, signal) => bus.publish(userChannel(to), JSON.stringify(signal)),
      logger,
    });
    this.presence = new PresenceRelay({
      store: presenceStore,
      announce: (userId, status, conversationIds) => {
        const frame = frames.presence(userId, status);
        for (const id of conversationIds) void bus.publish(conversationChannel(id), frame);
      },
      throttleMs: PRESENCE_THROTTLE_MS,
      logger,
    });
    this.heartbeat = setInterval(() => this.beat(), config.REALTIME_PING_INTERVAL_MS).unref();
    this.heartbeats = new GatewayHeartbeats({
      database: async () => (await platform.database()).db,
      logger,
    });
    this.heartbeats.report(0);
    this.transport = {
      handler: this,
      scheduler: this.scheduler,
      expiries: new ExpiryWheel((connection) => connection.expire()),
      settings: {
        authTimeoutMs: config.REALTIME_AUTH_TIMEOUT_MS,
        sendBufferBytes: config.REALTIME_SEND_BUFFER_BYTES,
      },
      metrics,
      logger,
    };
  }

  /** Opens the event bus and the presence store of a platform and starts a node on them. */
  static async start(platform: Platform): Promise<RealtimeNode> {
    const [bus, presence] = await Promise.all([platform.eventBus(), platform.presence()]);
    return new RealtimeNode(platform, bus, presence);
  }

  /** Takes over a freshly upgraded socket; `socket` is the TCP socket under it (for corking). */
  accept(ws: WebSocket, socket: Socket): Connection {
    const connection = new Connection(ws, socket, this.transport);
    this.sockets.add(connection);
    if (this.shuttingDown) connection.close(CloseCode.goingAway, 'shutdown', 'server shutting down');
    return connection;
  }

  async authenticate(connection: Connection, token: string): Promise<string> {
    const claims = await this.platform.authenticate(token).catch((error: unknown) => {
      if (error instanceof ProblemError && error.status === 401)
        throw new RefusedConnection(CloseCode.unauthorized, 'auth-failed', error.message);
      throw error;
    });
    const conversationIds = await (await this.platform.membership()).conversationIdsOf(claims.userId);
    if (connection.isClosed) throw new RefusedConnection(CloseCode.goingAway, 'shutdown', 'closed');

    const { userId } = claims;
    connection.bindSession({ userId, sessionId: claims.sessionId, expiresAtMs: claims.expiresAt.getTime() });
    // A token within the verifier's clock tolerance may already be past its expiry: closed just now.
    if (connection.isClosed) throw new RefusedConnection(CloseCode.unauthorized, 'token-expired', 'expired');
    const subscribed: Promise<void>[] = [];
    if (this.hub.addUserConnection(connection, userId)) subscribed.push(this.broker.subscribeUser(userId));
    for (const id of conversationIds) subscribed.push(this.join(connection, id));
    await Promise.all(subscribed);
    this.updatePresence(userId);
    return frames.ready(userId, [...connection.conversations]);
  }

  frame(connection: Connection, frame: ClientFrame): void {
    const session = connection.session;
    if (!session) return;
    switch (frame.type) {
      case 'ping':
        connection.reply(frames.pong(), 'pong');
        return;
      case 'typing':
        this.relayTyping(connection, session.userId, frame.conversationId);
        return;
      case 'presence':
        this.statuses.set(connection, frame.status);
        this.updatePresence(session.userId);
        return;
      case 'auth':
        void this.reauthenticate(connection, frame.token);
        return;
      case 'signal':
        this.signals.relay(connection, session.userId, frame);
        return;
    }
  }

  closed(connection: Connection): void {
    this.sockets.delete(connection);
    const userId = connection.session?.userId;
    if (!userId) return;
    const audience = [...connection.conversations];
    const { lastOfUser, lastOfConversations } = this.hub.remove(connection, userId);
    for (const id of lastOfConversations) this.broker.unsubscribeConversation(id);
    if (lastOfUser) this.broker.unsubscribeUser(userId);
    if (!this.shuttingDown) this.updatePresence(userId, audience);
  }

  /**
   * Stops accepting, closes every socket with 1001 so clients reconnect elsewhere, and waits
   * (up to `timeoutMs`) for them to go. The platform's stores (bus, presence) stay open: the
   * platform closes them.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.heartbeat);
    for (const connection of this.sockets)
      connection.close(CloseCode.goingAway, 'shutdown', 'server shutting down');
    const deadline = Date.now() + timeoutMs;
    while (this.sockets.size > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    this.transport.expiries.close();
    this.recovery.close();
    this.presence.close();
    await this.heartbeats.forget();
  }

  private join(connection: Connection, conversationId: string): Promise<void> {
    if (this.hub.join(connection, conversationId)) return this.broker.subscribeConversation(conversationId);
    return this.broker.ready(conversationId);
  }

  /**
   * A conversation the user joined while connected. Its `member.added` event may already lie
   * below the baseline the new subscription starts from (appended before the signal), so the
   * client is told with `joined` and catches up on the conversation from the log.
   */
  private async joinMidSession(connection: Connection, conversationId: string): Promise<void> {
    if (connection.conversations.has(conversationId)) return;
    await this.join(connection, conversationId);
    if (!connection.isClosed && connection.conversations.has(conversationId))
      connection.reply(frames.joined(conversationId), 'joined');
  }

  private onUserSignal(userId: string, signal: UserSignal): void {
    const connections = this.hub.connectionsOf(userId);
    switch (signal.kind) {
      case 'membership':
        for (const connection of connections) {
          if (signal.action === 'added') void this.joinMidSession(connection, signal.conversationId);
          else if (this.hub.leave(connection, signal.conversationId))
            this.broker.unsubscribeConversation(signal.conversationId);
        }
        return;
      case 'session-revoked':
        for (const connection of connections)
          if (connection.session?.sessionId === signal.sessionId)
            connection.close(CloseCode.unauthorized, 'revoked', 'session revoked');
        return;
      case 'user-revoked':
        for (const connection of connections)
          connection.close(CloseCode.unauthorized, 'revoked', 'access revoked');
        return;
      case 'call-signal': {
        const frame = frames.signal(signal.callId, signal.from, signal.payload);
        for (const connection of connections) connection.reply(frame, 'signal');
        return;
      }
    }
  }

  private relayTyping(connection: Connection, userId: string, conversationId: string): void {
    // The hub's membership is kept current by signals, so no database round trip per keystroke.
    if (!connection.conversations.has(conversationId)) {
      connection.error('not-a-member', 'not a member of that conversation');
      return;
    }
    let throttle = this.typing.get(connection);
    if (!throttle) {
      throttle = new TypingThrottle();
      this.typing.set(connection, throttle);
    }
    const verdict = throttle.check(conversationId);
    if (verdict === 'limited') connection.error('rate-limited', 'too many typing frames');
    if (verdict !== 'relay') return;
    void this.bus.publish(conversationChannel(conversationId), frames.typing(conversationId, userId));
  }

  /** A client's later auth frame extends its connection with a fresh token of the same user. */
  private async reauthenticate(connection: Connection, token: string): Promise<void> {
    try {
      const claims = await this.platform.authenticate(token);
      if (claims.userId !== connection.session?.userId) {
        connection.close(CloseCode.unauthorized, 'auth-failed', 'token of another user');
        return;
      }
      connection.bindSession({
        userId: claims.userId,
        sessionId: claims.sessionId,
        expiresAtMs: claims.expiresAt.getTime(),
      });
    } catch (error) {
      if (error instanceof ProblemError && error.status === 401)
        connection.close(CloseCode.unauthorized, 'auth-failed', error.message);
      else this.platform.logger.warn({ err: error }, 're-authentication failed; keeping the current token');
    }
  }

  /**
   * The user's status on this gateway: the most present of their sockets (online over away over
   * a client's chosen offline), offline without any. `conversationIds` names who to tell when no socket is left to ask.
   */
  private updatePresence(userId: string, conversationIds?: string[]): void {
    const connections = this.hub.connectionsOf(userId);
    const statuses = connections.map((connection) => this.statuses.get(connection) ?? 'online');
    const status: PresenceStatus = statuses.includes('online')
      ? 'online'
      : statuses.includes('away')
        ? 'away'
        : 'offline';
    const audience = conversationIds ?? [
      ...new Set(connections.flatMap((connection) => [...connection.conversations])),
    ];
    this.presence.update(userId, status, audience);
  }

  private beat(): void {
    let authenticated = 0;
    for (const connection of this.sockets) if (connection.heartbeat() && connection.session) authenticated++;
    this.heartbeats.report(authenticated);
    this.presenceStore
      .refresh()
      .catch((error: unknown) => this.platform.logger.warn({ err: error }, 'presence refresh failed'));
  }
}
