import type { IncomingMessage } from 'node:http';
import { upgradeWebSocket, type WebSocketLike } from '@hono/node-server';
import type { AppEnv } from '@secureconnect/shared/http/app-env';
import type { Platform } from '@secureconnect/shared/platform/platform';
import { Hono } from 'hono';
import type { WSContext, WSEvents } from 'hono/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import { RealtimeNode } from './node';
import type { Connection } from './transport';

/** Where clients connect (SPEC §6). */
export const REALTIME_PATH = '/v1/realtime';

/** Client frames are small (auth, typing, presence, ping); anything bigger is refused by ws with 1009. */
const MAX_CLIENT_FRAME_BYTES = 16 * 1024;

/** The realtime gateway as something a Hono server on Node hosts. */
export interface RealtimeGateway {
  /** For `serve({ websocket: { server } })`: ws in noServer mode, fed by node-server's upgrade handling. */
  server: WebSocketServer;
  /**
   * Adds `GET /v1/realtime` (the upgrade) to an app: the app's middleware sees the upgrade like
   * any request (its log line and metrics, labelled with the route), then the upgrade itself runs
   * in a context of its own, which is all the socket keeps.
   */
  mount(app: Hono<AppEnv>): void;
  /** Closes every socket with 1001 "server shutting down" and waits for them (up to SHUTDOWN_TIMEOUT_MS). */
  close(): Promise<void>;
}

/** What node-server's upgrade handling passes as `c.env`: the upgrade request, among its own fields. */
interface UpgradeBindings {
  incoming?: IncomingMessage | undefined;
}

/**
 * Builds the gateway over a platform: its event bus, stores and token verification. The dev
 * server mounts it beside the functions on one port; `server.ts` runs it alone.
 *
 * @example
 * const gateway = await createRealtimeGateway(platform);
 * gateway.mount(app);
 * await listen(app, platform, { port, host, websocket: { server: gateway.server }, beforeClose: gateway.close });
 */
export async function createRealtimeGateway(platform: Platform): Promise<RealtimeGateway> {
  const node = await RealtimeNode.start(platform);
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_FRAME_BYTES,
    // Frames are written as shared pre-encoded buffers; compression would copy them per socket.
    perMessageDeflate: false,
  });
  const upgrades = upgradeApp(node);
  return {
    server,
    mount(app) {
      app.get(REALTIME_PATH, function handOverUpgrade(c) {
        c.set('route', REALTIME_PATH);
        return upgrades.fetch(c.req.raw, c.env);
      });
    },
    close: () => node.shutdown(platform.config.SHUTDOWN_TIMEOUT_MS),
  };
}

/**
 * The upgrade as an app of its own, without middleware. node-server's `upgradeWebSocket` leaves
 * listeners on each socket that keep the Hono context of the upgrade alive as long as the socket
 * (its request, response, variables and env): here that context holds nothing of the host app's
 * request-scoped middleware.
 */
function upgradeApp(node: RealtimeNode): Hono {
  return new Hono().get(
    REALTIME_PATH,
    upgradeWebSocket((c) => new SocketEvents(node, c.env as UpgradeBindings)),
  );
}

/**
 * What node-server calls for one socket. A class, so that what it keeps per socket is one small
 * object, its methods shared, rather than an object literal with its closures and their scope.
 */
class SocketEvents implements WSEvents<WebSocketLike> {
  private connection: Connection | undefined;

  constructor(
    private readonly node: RealtimeNode,
    private readonly env: UpgradeBindings,
  ) {}

  onOpen(_event: Event, ws: WSContext<WebSocketLike>): void {
    const socket = this.env.incoming?.socket;
    // node-server upgrades from an IncomingMessage, so its socket is there; without it nothing could be sent.
    if (!socket) {
      ws.close(1011, 'no socket');
      return;
    }
    this.connection = this.node.accept(ws.raw as WebSocket, socket);
    // node-server keeps `c.env` as long as the socket; the upgrade request is done with.
    this.env.incoming = undefined;
  }

  onMessage(event: { data: unknown }): void {
    this.connection?.receive(event.data);
  }
}
