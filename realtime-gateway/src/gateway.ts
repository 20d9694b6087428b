import type { IncomingMessage } from 'node:http';
import { upgradeWebSocket } from '@hono/node-server';
import type { Platform } from '@secureconnect/shared/platform/platform';
import type { Hono } from 'hono';
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
  /** Adds `GET /v1/realtime` (the upgrade) to an app. */
  // biome-ignore lint/suspicious/noExplicitAny: mounts on any Hono app, whatever its Env
  mount(app: Hono<any>): void;
  /** Closes every socket with 1001 "server shutting down" and waits for them (up to SHUTDOWN_TIMEOUT_MS). */
  close(): Promise<void>;
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
  return {
    server,
    mount(app) {
      app.get(
        REALTIME_PATH,
        upgradeWebSocket((c) => {
          let connection: Connection | undefined;
          const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
          return {
            onOpen(_event, ws) {
              connection = node.accept(ws.raw as WebSocket, incoming?.socket);
            },
            onMessage(event) {
              connection?.receive(event.data);
            },
          };
        }),
      );
    },
    close: () => node.shutdown(platform.config.SHUTDOWN_TIMEOUT_MS),
  };
}
