import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import closeWithGrace from 'close-with-grace';
import type { Hono } from 'hono';
import type { Platform } from '../platform/platform';

export interface RunningServer {
  server: ServerType;
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), closes the platform. */
  close(): Promise<void>;
}

export interface ListenOptions {
  port: number;
  host: string;
  /** Extra work at shutdown before the platform closes, e.g. closing WebSockets with 1001. */
  beforeClose?: () => Promise<void>;
  /** How long Node waits for a whole request, body included; REQUEST_TIMEOUT_MS + 5 s otherwise. */
  requestTimeoutMs?: number;
  websocket?: Parameters<typeof serve>[0]['websocket'];
}

/** Starts a plain Node HTTP server for an app — what of-watchdog's `http` mode runs. */
export async function listen(
  // biome-ignore lint/suspicious/noExplicitAny: Hono apps differ only in their Env type
  app: Hono<any>,
  platform: Platform,
  options: ListenOptions,
): Promise<RunningServer> {
  const { config, logger } = platform;
  const server = await new Promise<ServerType>((resolve, reject) => {
    const started = serve(
      {
        fetch: app.fetch,
        port: options.port,
        hostname: options.host,
        ...(options.websocket ? { websocket: options.websocket } : {}),
      },
      () => resolve(started),
    );
    started.once('error', reject);
  });
  if ('headersTimeout' in server) {
    server.headersTimeout = 15_000;
    server.requestTimeout = options.requestTimeoutMs ?? config.REQUEST_TIMEOUT_MS + 5_000;
    // Longer than the 60 s idle timeout of common load balancers, so they close first.
    server.keepAliveTimeout = 65_000;
  }
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      platform.beginShutdown();
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      await options.beforeClose?.();
      const forced = setTimeout(() => {
        logger.warn('shutdown timeout reached; closing remaining connections');
        if ('closeAllConnections' in server) server.closeAllConnections();
      }, config.SHUTDOWN_TIMEOUT_MS);
      await drained;
      clearTimeout(forced);
      await platform.close();
    })();
    return closing;
  };
  return { server, port, close };
}

/**
 * Exits cleanly on SIGTERM/SIGINT (drain, close pools, exit 0) and on an uncaught error
 * (log it, drain, exit 1) — SPEC §8 graceful shutdown.
 */
export function exitOnSignals(running: RunningServer, platform: Platform): void {
  closeWithGrace({ delay: platform.config.SHUTDOWN_TIMEOUT_MS + 2_000 }, async ({ signal, err }) => {
    if (err) platform.logger.error({ err }, 'fatal error; shutting down');
    else platform.logger.info({ signal }, 'shutting down: draining requests');
    await running.close();
    platform.logger.info('shutdown complete');
  });
}
