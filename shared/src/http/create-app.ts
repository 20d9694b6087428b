import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { timeout } from 'hono/timeout';
import { bearerToken } from '../auth/bearer-token';
import { forbidden, ProblemError } from '../errors/problem';
import type { Platform } from '../platform/platform';
import type { AppEnv } from './app-env';
import { bodySizeLimit } from './body-size-limit';
import { clientIp } from './client-info';
import { type AnyFunction, Reply, requiredDependencies } from './define-function';
import { problemErrorHandler, problemResponse } from './error-handler';
import { requestLogging } from './request-logging';
import { validateRequest } from './validation';

export interface AppOptions {
  platform: Platform;
  functions: AnyFunction[];
  /**
   * Routes whose bodies may be far larger than BODY_LIMIT_BYTES and slower than
   * REQUEST_TIMEOUT_MS (the embedded blob store's signed uploads and downloads): mounted after the
   * request id, logging, security headers and CORS, before the body-size limit and the timeout.
   * They must bound their bodies themselves.
   */
  streamingRoutes?: Hono<AppEnv>[];
}

/** A regular expression for a function's paths, used only to answer 405 for a known path. */
function pathPattern(fn: AnyFunction): RegExp {
  const source = fn.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+');
  const prefix = fn.internal ? `/function/${fn.name}` : '(?:/function/[^/]+)?';
  return new RegExp(`^${prefix}${source.replace(/^\/$/, '')}/?$`);
}

function mountFunction(app: Hono<AppEnv>, fn: AnyFunction, platform: Platform): void {
  const { config } = platform;
  const route = new Hono<AppEnv>();
  route.on(fn.method, fn.path, async function handleFunction(c) {
    c.set('functionName', fn.name);
    c.set('route', fn.path);
    let auth: Awaited<ReturnType<Platform['authenticate']>> | undefined;
    if (fn.auth !== 'public') {
      auth = await platform.authenticate(bearerToken(c.req.header('authorization')));
      if (fn.recordCaller !== false) c.set('userId', auth.userId);
      if (fn.auth === 'admin' && auth.role !== 'admin')
        throw forbidden('This operation needs the admin role.');
    }
    const input = await validateRequest(c, fn.request);
    const result = await fn.handle(input, {
      platform,
      auth,
      requestId: c.get('requestId'),
      ip: clientIp(c, config.TRUST_PROXY),
      userAgent: c.req.header('user-agent'),
      c,
    });
    const { status, body } = result instanceof Reply ? result : { status: fn.response.status, body: result };
    if (status === 204 || body === undefined) return c.body(null, status);
    return c.json(body as object, status);
  });
  if (!fn.internal) app.route('/', route);
  app.route(`/function/${fn.name}`, route);
}

/**
 * The app every function and the dev server run: request id, one log line and metrics per
 * request, security headers, CORS for configured origins, a body-size limit, the global request
 * timeout (504), problem+json for every failure, `/healthz`, `/readyz` and `/metrics`; each
 * function answers under its public path and under `/function/<name>` (SPEC §3).
 *
 * @example
 * const app = createApp({ platform, functions: [authLogin] });
 * const res = await app.request('/v1/auth/login', { method: 'POST', body: '{}' });
 */
export function createApp({ platform, functions, streamingRoutes = [] }: AppOptions): Hono<AppEnv> {
  const { config, logger, metrics } = platform;
  const app = new Hono<AppEnv>();

  app.use(
    requestId({
      headerName: 'X-Request-Id',
      generator: () => crypto.randomUUID(),
      limitLength: 128,
    }),
  );
  app.use(requestLogging(logger, metrics));
  app.use(secureHeaders());
  if (config.CORS_ORIGINS.length > 0) {
    app.use(
      cors({
        origin: config.CORS_ORIGINS,
        allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
        exposeHeaders: ['X-Request-Id', 'Retry-After'],
        maxAge: 600,
      }),
    );
  }
  // Hono runs handlers in the order they were added: these answer before the two below exist.
  for (const routes of streamingRoutes) app.route('/', routes);
  app.use(
    bodySizeLimit(config.BODY_LIMIT_BYTES, () => {
      throw new ProblemError(
        413,
        'body-too-large',
        `The request body exceeds ${config.BODY_LIMIT_BYTES} bytes.`,
      );
    }),
  );
  app.use(timeout(config.REQUEST_TIMEOUT_MS));

  const dependencies = requiredDependencies(functions);
  const platformRoutes = new Hono<AppEnv>()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      const report = await platform.readiness(dependencies);
      return c.json(report, report.status === 'down' ? 503 : 200);
    })
    .get('/metrics', async (c) =>
      c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
    );
  app.route('/', platformRoutes);
  app.route('/function/:name', platformRoutes);

  for (const fn of functions) mountFunction(app, fn, platform);

  const patterns = functions.map((fn) => ({ method: fn.method, pattern: pathPattern(fn) }));
  app.notFound((c) => {
    const allowed = patterns.filter(({ pattern }) => pattern.test(c.req.path)).map(({ method }) => method);
    const problem =
      allowed.length > 0
        ? new ProblemError(
            405,
            'method-not-allowed',
            `${c.req.method} is not allowed here; use ${allowed.join(', ')}.`,
            {
              allow: allowed,
            },
          )
        : new ProblemError(404, 'no-such-route', `No operation answers ${c.req.method} ${c.req.path}.`);
    return problemResponse(c, problem);
  });
  app.onError(problemErrorHandler(metrics));
  return app;
}
