import type { WebSocketServerLike } from '@hono/node-server';
import type { Hono } from 'hono';
import { ConfigError, loadConfig } from '../config/env';
import { createLogger, type LoggerOptions } from '../observability/logger';
import { Metrics } from '../observability/metrics';
import { type Dependency, Platform } from '../platform/platform';
import type { AppEnv } from './app-env';
import { createApp } from './create-app';
import { type AnyFunction, requiredDependencies } from './define-function';
import { exitOnSignals, listen, type RunningServer } from './serve';

export interface BootOptions {
  /** Names the process in logs and metrics: a function name, or `dev-server`. */
  service: string;
  functions: AnyFunction[];
  env?: NodeJS.ProcessEnv;
  /** Adds routes beside the functions (the dev server's /openapi.json and /docs). */
  extend?: (app: Hono<AppEnv>, platform: Platform) => void;
  /** Where log lines go instead of stdout (tests that read them). */
  logDestination?: LoggerOptions['destination'];
  /** Install SIGTERM/SIGINT handling; off for tests that stop the server themselves. */
  handleSignals?: boolean;
  /**
   * WebSockets served on the same port (the dev server's realtime gateway at /v1/realtime):
   * mounts its upgrade route and hands back the upgrade server and what closes its sockets
   * (with 1001) when the server shuts down.
   */
  websockets?: (app: Hono<AppEnv>, platform: Platform) => Promise<WebSocketHost>;
}

/** What {@link BootOptions.websockets} hands back. */
export interface WebSocketHost {
  server: WebSocketServerLike;
  close(): Promise<void>;
}

export interface BootedServer extends RunningServer {
  platform: Platform;
  app: Hono<AppEnv>;
}

/**
 * Builds the platform from the environment and serves functions on one port. A bad
 * configuration ends the process with one line naming the variable; an unreachable store does
 * not — the server comes up, /readyz reports the store down and requests get 503 until it
 * returns (no crash loop, unlike the predecessor).
 */
export async function bootFunctions(options: BootOptions): Promise<BootedServer> {
  const env = options.env ?? process.env;
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) exitWithConfigError(options.service, error);
    throw error;
  }
  const logger = createLogger({
    level: config.LOG_LEVEL,
    service: options.service,
    destination: options.logDestination,
  });
  const metrics = new Metrics({ service: options.service });
  const platform = new Platform(config, logger, metrics);
  const dependencies = requiredDependencies(options.functions);
  try {
    await platform.start(dependencies);
  } catch (error) {
    if (error instanceof ConfigError) exitWithConfigError(options.service, error);
    logger.warn(
      { err: error },
      'a dependency is unavailable at start-up; serving anyway and retrying on demand',
    );
  }

  const streamingRoutes = await streamingRoutesFor(platform, dependencies);
  const app = createApp({ platform, functions: options.functions, streamingRoutes });
  options.extend?.(app, platform);
  const websockets = await options.websockets?.(app, platform);
  const running = await listen(app, platform, {
    port: config.PORT,
    host: config.HOST,
    // Node's own deadline for receiving a whole request would cut a large upload short; an upload
    // may take as long as the drive waits for it to complete.
    ...(streamingRoutes.length > 0
      ? { requestTimeoutMs: config.DRIVE_UPLOAD_COMPLETE_WITHIN_SECONDS * 1000 }
      : {}),
    ...(websockets
      ? { websocket: { server: websockets.server }, beforeClose: () => websockets.close() }
      : {}),
  });
  if (options.handleSignals ?? true) exitOnSignals(running, platform);
  logger.info(
    {
      port: running.port,
      functions: options.functions.length,
      sql: config.DATABASE_URL ? 'postgres' : 'pglite (embedded)',
      kv: config.REDIS_URL ? 'redis' : 'in-process (embedded)',
      mail: config.SMTP_URL ? 'smtp' : 'log (embedded)',
      blobs: config.S3_BUCKET ? 's3' : 'local (embedded)',
      rateLimits: config.RATE_LIMITS ? 'on' : 'OFF',
    },
    `listening on http://${config.HOST}:${running.port}`,
  );
  return { ...running, platform, app };
}

/**
 * The embedded blob store's signed-URL routes, when a served function uses the drive and no S3
 * is configured: its URLs point back at this server.
 */
async function streamingRoutesFor(platform: Platform, dependencies: Dependency[]): Promise<Hono<AppEnv>[]> {
  if (!dependencies.includes('blobs') || platform.config.S3_BUCKET !== undefined) return [];
  const { localBlobRoutes } = await import('./local-blob-routes');
  return [localBlobRoutes(() => platform.blobStore())];
}

function exitWithConfigError(service: string, error: ConfigError): never {
  process.stderr.write(`${service}: configuration error: ${error.message}\n`);
  process.exit(1);
}
