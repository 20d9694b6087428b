import { createMiddleware } from 'hono/factory';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { AppEnv } from './app-env';

const QUIET_PATHS = /^(?:\/function\/[^/]+)?\/(?:healthz|readyz|metrics)$/;

/**
 * One wide log line and one metrics observation per request (after openstatus's approach): what
 * was called, by whom, how it ended and how long it took. Paths only — query strings and bodies
 * can carry tokens, so they are never logged.
 */
export function requestLogging(logger: Logger, metrics: Metrics) {
  return createMiddleware<AppEnv>(async function logRequest(c, next) {
    const started = performance.now();
    await next();
    const durationSeconds = (performance.now() - started) / 1000;
    const status = c.res.status;
    const fn = c.get('functionName') ?? 'platform';
    const route =
      c.get('route') ??
      (QUIET_PATHS.test(c.req.path) ? c.req.path.replace(/^\/function\/[^/]+/, '') : 'unmatched');
    const labels = { function: fn, method: c.req.method, route, status: String(status) };
    metrics.httpRequestsTotal.inc(labels);
    metrics.httpRequestDuration.observe(labels, durationSeconds);

    const failure = c.get('failure');
    const line = {
      requestId: c.get('requestId'),
      function: fn,
      method: c.req.method,
      route,
      path: c.req.path,
      status,
      durationMs: Math.round(durationSeconds * 1000 * 10) / 10,
      userId: c.get('userId'),
      ...(failure ? { err: failure } : {}),
    };
    if (status >= 500) logger.error(line, 'request failed');
    else if (QUIET_PATHS.test(c.req.path)) logger.debug(line, 'request');
    else logger.info(line, 'request');
  });
}
