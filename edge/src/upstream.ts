import { ProblemError, serviceUnavailable } from '@secureconnect/shared/errors/problem';
import type { EdgeSettings } from './settings';

/** Headers a client may not set itself: the edge is where they are established. */
const ESTABLISHED_HERE = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip'];

/** What the edge learned about a request, carried to the function. */
export interface Forwarding {
  requestId: string;
  clientIp: string;
  /** The request body when the edge had to read it to measure it; otherwise it streams through. */
  body?: ArrayBuffer;
}

/**
 * The upstream's answer as a response the edge may still add headers to (request id, security
 * headers): a fetched response's headers are immutable on the Workers runtime. A WebSocket
 * handshake keeps its socket, which the runtime then splices to the client's.
 */
function relayed(upstream: Response): Response {
  const { webSocket } = upstream as Response & { webSocket?: unknown };
  const init = { status: upstream.status, statusText: upstream.statusText, headers: upstream.headers };
  return new Response(upstream.body, (webSocket ? { ...init, webSocket } : init) as ResponseInit);
}

/** The function's address for a public path: the path itself on a router, `/function/<name>` + path on OpenFaaS. */
export function upstreamUrl(settings: EdgeSettings, functionName: string, url: URL): string {
  const prefix = settings.UPSTREAM_KIND === 'openfaas' ? `/function/${functionName}` : '';
  return `${settings.UPSTREAM_URL.replace(/\/$/, '')}${prefix}${url.pathname}${url.search}`;
}

function forwardedHeaders(request: Request, { requestId, clientIp }: Forwarding): Headers {
  const headers = new Headers(request.headers);
  for (const name of ESTABLISHED_HERE) headers.delete(name);
  const url = new URL(request.url);
  headers.set('x-request-id', requestId);
  // The functions trust the first X-Forwarded-For hop (TRUST_PROXY=on), so it must be one the edge wrote.
  headers.set('x-forwarded-for', clientIp);
  headers.set('x-forwarded-proto', url.protocol.replace(':', ''));
  headers.set('x-forwarded-host', url.host);
  return headers;
}

/**
 * Sends the request on to `target` and answers with what comes back. An upstream that cannot be
 * reached answers 503 with Retry-After, one that outlasts UPSTREAM_TIMEOUT_MS 504: the same
 * problem+json answers the nginx router gives.
 */
export async function forward(
  request: Request,
  target: string,
  forwarding: Forwarding,
  settings: EdgeSettings,
): Promise<Response> {
  const method = request.method;
  const hasBody = method !== 'GET' && method !== 'HEAD';
  try {
    const upstream = await fetch(target, {
      method,
      headers: forwardedHeaders(request, forwarding),
      body: hasBody ? (forwarding.body ?? request.body) : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(settings.UPSTREAM_TIMEOUT_MS),
    });
    return relayed(upstream);
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError') {
      throw new ProblemError(504, 'timeout', 'The request took too long.');
    }
    throw serviceUnavailable('The service is unavailable; try again shortly.', 5);
  }
}

/**
 * Hands a WebSocket upgrade to the gateways. The Workers runtime splices the two sockets once the
 * gateway answers 101; tokens travel in the first frame (SPEC §6), so the gateway authenticates.
 */
export async function forwardUpgrade(
  request: Request,
  forwarding: Forwarding,
  settings: EdgeSettings,
): Promise<Response> {
  const url = new URL(request.url);
  const base = (settings.REALTIME_URL ?? settings.UPSTREAM_URL).replace(/\/$/, '');
  try {
    const upstream = await fetch(`${base}${url.pathname}${url.search}`, {
      method: request.method,
      headers: forwardedHeaders(request, forwarding),
    });
    return relayed(upstream);
  } catch {
    throw serviceUnavailable('The realtime gateway is unavailable; try again shortly.', 5);
  }
}
