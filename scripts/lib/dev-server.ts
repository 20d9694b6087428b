import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Scalar } from '@scalar/hono-api-reference';
import { createRealtimeGateway } from '@secureconnect/realtime-gateway/gateway';
import { type BootedServer, bootFunctions } from '@secureconnect/shared/http/boot';
import { buildOpenApiDocument } from '@secureconnect/shared/http/openapi';
import { loadFunctions, ROOT } from './function-catalog';
import { runScheduledFunctions } from './scheduled-functions';

const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version?: string };

/**
 * Every function in one process, under both addressings, plus `/openapi.json`, `/docs` and the
 * realtime gateway at `/v1/realtime` — the embedded default of SPEC §4 when nothing is configured.
 */
export async function startDevServer(
  options: { env?: NodeJS.ProcessEnv; handleSignals?: boolean } = {},
): Promise<BootedServer> {
  const functions = await loadFunctions();
  const document = buildOpenApiDocument(functions, { version: version ?? '0.0.0' });
  const booted = await bootFunctions({
    service: 'dev-server',
    functions,
    env: options.env,
    handleSignals: options.handleSignals,
    extend(app) {
      app.get('/', (c) =>
        c.json({ name: 'SecureConnect', docs: '/docs', openapi: '/openapi.json', health: '/healthz' }),
      );
      app.get('/openapi.json', (c) => c.json(document));
      app.get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'SecureConnect API' }));
    },
    async websockets(app, platform) {
      const gateway = await createRealtimeGateway(platform);
      gateway.mount(app);
      return gateway;
    },
  });
  const timers = runScheduledFunctions(booted, functions, () => SCHEDULED_EVERY_MS);
  return {
    ...booted,
    async close() {
      for (const timer of timers) clearInterval(timer);
      await booted.close();
    },
  };
}

/** How often `npm start` runs the functions OpenFaaS's cron-connector runs in production: every minute, whatever their schedule. */
const SCHEDULED_EVERY_MS = 60_000;
