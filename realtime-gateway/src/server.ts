import { ConfigError, loadConfig } from '@secureconnect/shared/config/env';
import type { AppEnv } from '@secureconnect/shared/http/app-env';
import type { BootedServer } from '@secureconnect/shared/http/boot';
import { createApp } from '@secureconnect/shared/http/create-app';
import { requestLogging } from '@secureconnect/shared/http/request-logging';
import { exitOnSignals, listen } from '@secureconnect/shared/http/serve';
import { createLogger } from '@secureconnect/shared/observability/logger';
import { Metrics } from '@secureconnect/shared/observability/metrics';
import { type Dependency, Platform } from '@secureconnect/shared/platform/platform';
import { Hono } from 'hono';
import { createRealtimeGateway, REALTIME_PATH } from './gateway';

const SERVICE = 'realtime-gateway';

/** What the gateway needs: tokens and sessions (sql, kv, verify-key), membership, the bus and the log. */
export const GATEWAY_DEPENDENCIES: Dependency[] = ['sql', 'kv', 'verify-key', 'events', 'messages'];

/** A bad configuration ends the process with one line naming the variable, no stack trace. */
function exitWithConfigError(error: ConfigError): never {
  process.stderr.write(`${SERVICE}: configuration error: ${error.message}\n`);
  process.exit(1);
}

/**
 * The standalone gateway process: `/v1/realtime`, `/healthz`, `/readyz` (its own dependencies,
 * degraded ones named) and `/metrics`. Like the functions, a bad configuration ends it with one
 * line naming the variable, while an unreachable store does not: it serves, and /readyz says why.
 * Shutdown (SIGTERM) stops accepting, closes every socket with 1001 and drains.
 */
export async function startGatewayServer(
  options: { env?: NodeJS.ProcessEnv; handleSignals?: boolean } = {},
): Promise<BootedServer> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(options.env ?? process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    exitWithConfigError(error);
  }
  const logger = createLogger({ level: config.LOG_LEVEL, service: SERVICE });
  const platform = new Platform(config, logger, new Metrics({ service: SERVICE }));
  await platform.start(GATEWAY_DEPENDENCIES).catch((error: unknown) => {
    // A store missing in production (NODE_ENV=production without REDIS_URL, say) is a
    // configuration error, as in bootFunctions: serving on an embedded stand-in would split this
    // gateway from the functions' events and sessions.
    if (error instanceof ConfigError) exitWithConfigError(error);
    logger.warn(
      { err: error },
      'a dependency is unavailable at start-up; serving anyway and retrying on demand',
    );
  });

  const app = createApp({ platform, functions: [] });
  const gateway = await createRealtimeGateway(platform);
  // Upgrades skip the app's request-scoped middleware (request id, security headers, body limit,
  // timeout: none means anything to a socket), keeping its log line and metrics. createApp
  // derives /readyz from the functions it serves (none here): answer it with the gateway's own
  // dependencies, and hand everything else to the app.
  const server = new Hono<AppEnv>()
    .get('/readyz', async (c) => {
      const report = await platform.readiness(GATEWAY_DEPENDENCIES);
      return c.json(report, report.status === 'down' ? 503 : 200);
    })
    .use(REALTIME_PATH, requestLogging(logger, platform.metrics));
  gateway.mount(server);
  server.all('*', (c) => app.fetch(c.req.raw, c.env));

  const running = await listen(server, platform, {
    port: config.PORT,
    host: config.HOST,
    websocket: { server: gateway.server },
    beforeClose: () => gateway.close(),
  });
  if (options.handleSignals ?? true) exitOnSignals(running, platform);
  logger.info({ port: running.port }, `realtime gateway listening on http://${config.HOST}:${running.port}`);
  return { ...running, platform, app };
}
