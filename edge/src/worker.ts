/**
 * The Workers module entry: `wrangler deploy` on a managed platform, `npm run edge` on workerd.
 * Settings, keys and clients are built once per isolate, at its first request (bindings arrive
 * with the request), and reused for every request after it.
 */
import { AccessTokens, MAX_ACCESS_TOKEN_TTL_SECONDS } from '@secureconnect/shared/auth/access-tokens';
import { importPublicKeys } from '@secureconnect/shared/auth/public-keys';
import { ConfigError } from '@secureconnect/shared/errors/config-error';
import { createEdgeApp } from './edge-app';
import { logLine } from './log';
import { EdgeRateLimits } from './rate-limits';
import { ROUTES } from './route-table';
import { loadEdgeSettings } from './settings';

type EdgeApp = ReturnType<typeof createEdgeApp>;

async function start(bindings: Record<string, unknown>): Promise<EdgeApp> {
  const settings = loadEdgeSettings(bindings);
  const keys = await importPublicKeys(settings.JWT_PUBLIC_KEY);
  const tokens = new AccessTokens({
    keys: { verificationKeys: new Map(keys), keyId: (keys[0] as (typeof keys)[number])[0] },
    issuer: settings.JWT_ISSUER,
    audience: settings.JWT_AUDIENCE,
    ttlSeconds: MAX_ACCESS_TOKEN_TTL_SECONDS,
  });
  logLine('info', 'edge router ready', {
    upstream: settings.UPSTREAM_URL,
    upstreamKind: settings.UPSTREAM_KIND,
    keys: keys.map(([kid]) => kid),
  });
  return createEdgeApp({ settings, routes: ROUTES, tokens, limits: EdgeRateLimits.fromSettings(settings) });
}

let app: Promise<EdgeApp> | undefined;

/**
 * A misconfigured edge logs the one line that names the setting (on every request until fixed, so
 * it cannot scroll away) and answers 503 without it: clients need not learn how it is configured.
 */
function misconfigured(error: unknown): Response {
  logLine('error', 'edge router cannot start', {
    error: error instanceof ConfigError ? error.message : String(error),
  });
  const detail = 'The service is misconfigured; its operators have been told.';
  return new Response(
    JSON.stringify({
      type: 'https://secureconnect.dev/problems/unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail,
    }),
    { status: 503, headers: { 'content-type': 'application/problem+json', 'retry-after': '30' } },
  );
}

export default {
  async fetch(request: Request, bindings: Record<string, unknown>): Promise<Response> {
    app ??= start(bindings);
    let ready: EdgeApp;
    try {
      ready = await app;
    } catch (error) {
      // Not cached: a binding fixed by a redeploy takes effect in a fresh isolate anyway, and a
      // transient failure should not pin the isolate to 503s.
      app = undefined;
      return misconfigured(error);
    }
    return ready.fetch(request, bindings);
  },
};
