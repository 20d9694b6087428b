import type { AccessTokens } from '@secureconnect/shared/auth/access-tokens';
import { bearerToken } from '@secureconnect/shared/auth/bearer-token';
import { forbidden, ProblemError } from '@secureconnect/shared/errors/problem';
import { problemResponse } from '@secureconnect/shared/http/error-handler';
import { JSON_MEDIA_TYPE } from '@secureconnect/shared/http/validation';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { logLine } from './log';
import type { EdgeRateLimits } from './rate-limits';
import type { RouteTable, RouteTarget } from './route-table';
import type { EdgeSettings } from './settings';
import { type Forwarding, forward, forwardUpgrade, upstreamUrl } from './upstream';

type EdgeEnv = { Variables: { requestId: string; clientIp: string; function?: string } };

export interface EdgeDependencies {
  settings: EdgeSettings;
  routes: RouteTable;
  /** Verifies with the public key(s) only; the functions verify again and check revocation. */
  tokens: AccessTokens;
  limits: EdgeRateLimits;
}

/**
 * The request body, read only when its size is not declared (chunked), so it can be measured
 * before it travels. A declared size is checked without reading anything.
 *
 * @throws ProblemError 413 past `limit` bytes.
 */
async function boundedBody(request: Request, limit: number): Promise<ArrayBuffer | undefined> {
  const tooLarge = () => new ProblemError(413, 'body-too-large', `The request body exceeds ${limit} bytes.`);
  const declared = request.headers.get('content-length');
  if (declared !== null) {
    if (Number(declared) > limit) throw tooLarge();
    return undefined;
  }
  if (!request.body) return undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    size += chunk.value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(chunk.value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body.buffer;
}

function requireJson(request: Request): void {
  const mediaType = request.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw new ProblemError(
      415,
      'unsupported-media-type',
      `The request body must be application/json${mediaType ? `, not ${mediaType}` : ''}.`,
    );
  }
}

/**
 * The edge router (SPEC §2): every public /v1 path to its function, by the table generated from
 * the manifests, after the checks that need no database — route and method, per-IP limit, body
 * size, access token (signature, expiry, role), per-user limit, content type — in the order the
 * functions run theirs, so a client sees the same answer whichever refused it. The realtime
 * upgrade goes to the gateways. What a function would refuse anyway is refused here, before it
 * costs a function invocation.
 */
export function createEdgeApp({ settings, routes, tokens, limits }: EdgeDependencies): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();
  app.use(requestId({ headerName: 'X-Request-Id', generator: () => crypto.randomUUID(), limitLength: 128 }));
  app.use(secureHeaders());
  app.use(async function logRequest(c, next) {
    const started = Date.now();
    c.set('clientIp', c.req.header(settings.CLIENT_IP_HEADER)?.split(',')[0]?.trim() || 'unknown');
    await next();
    logLine('info', 'request', {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      function: c.get('function'),
      status: c.res.status,
      durationMs: Date.now() - started,
    });
  });
  app.onError((error, c) => {
    if (error instanceof ProblemError) return problemResponse(c, error);
    logLine('error', 'edge failure', { requestId: c.get('requestId'), error: String(error) });
    return problemResponse(
      c,
      new ProblemError(
        500,
        'internal',
        `An unexpected error occurred. Quote request id ${c.get('requestId')} when reporting it.`,
      ),
    );
  });

  const forwarding = (c: { get(key: 'requestId' | 'clientIp'): string }, body?: ArrayBuffer): Forwarding => ({
    requestId: c.get('requestId'),
    clientIp: c.get('clientIp'),
    ...(body ? { body } : {}),
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.all('/v1/realtime', async (c) => {
    c.set('function', 'realtime-gateway');
    await limits.consume('ip', c.get('clientIp'));
    return forwardUpgrade(c.req.raw, forwarding(c), settings);
  });

  app.all('/v1/*', async (c) => {
    const url = new URL(c.req.url);
    const match = routes.match(c.req.method, url.pathname);
    if (match.kind === 'no-route') throw noSuchRoute(c.req.method);
    if (match.kind === 'method-not-allowed') {
      const allow = match.allow.join(', ');
      throw new ProblemError(
        405,
        'method-not-allowed',
        `${c.req.method} is not allowed here; use ${allow}.`,
        {
          allow: match.allow,
        },
      );
    }
    const target: RouteTarget = match.target;
    c.set('function', target.function);
    await limits.consume('ip', c.get('clientIp'));
    const body = await boundedBody(c.req.raw, settings.BODY_LIMIT_BYTES);
    if (target.auth !== 'public') {
      const claims = await tokens.verify(bearerToken(c.req.header('authorization')));
      if (target.auth === 'admin' && claims.role !== 'admin')
        throw forbidden('This operation needs the admin role.');
      await limits.consume('user', claims.userId);
    }
    if (target.json) requireJson(c.req.raw);
    return forward(c.req.raw, upstreamUrl(settings, target.function, url), forwarding(c, body), settings);
  });

  // Everything else (the API reference, /openapi.json, the embedded store's signed blob URLs,
  // which bound their own bodies) is the router's to answer; an OpenFaaS gateway has nothing
  // public beyond the functions.
  app.all('*', async (c) => {
    if (settings.UPSTREAM_KIND === 'openfaas') throw noSuchRoute(c.req.method);
    await limits.consume('ip', c.get('clientIp'));
    const url = new URL(c.req.url);
    const target = `${settings.UPSTREAM_URL.replace(/\/$/, '')}${url.pathname}${url.search}`;
    return forward(c.req.raw, target, forwarding(c), settings);
  });
  return app;
}

const noSuchRoute = (method: string) =>
  new ProblemError(404, 'no-such-route', `No operation answers ${method} at this path.`);
