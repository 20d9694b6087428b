import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { type ProblemDetails, ProblemError } from '../errors/problem';
import { capturingPlatform } from '../testing/platform';
import { createApp } from './create-app';
import { defineFunction } from './define-function';

const echo = defineFunction({
  name: 'echo',
  method: 'POST',
  path: '/v1/echo/:id',
  auth: 'public',
  summary: 'Echo',
  tags: ['test'],
  uses: [],
  request: {
    params: v.object({ id: v.pipe(v.string(), v.uuid('must be a UUID')) }),
    body: v.object({
      name: v.pipe(v.string('must be a string'), v.maxLength(5, 'too long')),
      count: v.number('must be a number'),
    }),
  },
  response: { status: 201, schema: v.object({ id: v.string(), name: v.string() }), description: 'Echoed' },
  handle: async ({ params, body }) => ({ id: params.id, name: body.name }),
});

const failing = defineFunction({
  name: 'failing',
  method: 'GET',
  path: '/v1/failing/:mode',
  auth: 'public',
  summary: 'Fails on purpose',
  tags: ['test'],
  uses: [],
  request: { params: v.object({ mode: v.string() }) },
  response: { status: 200, schema: undefined, description: 'never' },
  handle: async ({ params }) => {
    if (params.mode === 'slow') await new Promise((resolve) => setTimeout(resolve, 500));
    if (params.mode === 'conflict') throw new ProblemError(409, 'taken', 'Already taken.');
    throw new Error('secret internal detail at /srv/app.ts:42');
  },
});

const guarded = defineFunction({
  name: 'guarded',
  method: 'GET',
  path: '/v1/guarded',
  auth: 'user',
  summary: 'Needs a token',
  tags: ['test'],
  uses: [],
  request: {},
  response: { status: 200, schema: undefined, description: 'ok' },
  handle: async () => undefined,
});

const ID = '6f1c9a8e-3b7d-4c2a-9e5f-1a2b3c4d5e6f';

function app(env: Record<string, string> = {}, functions = [echo, failing, guarded]) {
  const { platform, lines } = capturingPlatform({
    REQUEST_TIMEOUT_MS: '200',
    BODY_LIMIT_BYTES: '1024',
    ...env,
  });
  return { app: createApp({ platform, functions }), lines, platform };
}

const post = (body: string, contentType = 'application/json') => ({
  method: 'POST',
  headers: { 'content-type': contentType },
  body,
});

async function problem(response: Response): Promise<ProblemDetails> {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const body = (await response.json()) as ProblemDetails;
  expect(body).toMatchObject({
    status: response.status,
    type: expect.stringMatching(/^https:\/\//),
    title: expect.any(String),
  });
  expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  return body;
}

describe('createApp', () => {
  it('serves a function under its public path and under /function/<name>', async () => {
    const { app: server } = app();
    for (const prefix of ['', '/function/echo']) {
      const response = await server.request(`${prefix}/v1/echo/${ID}`, post('{"name":"ana","count":1}'));
      expect(response.status).toBe(201);
      expect(await response.json()).toEqual({ id: ID, name: 'ana' });
    }
  });

  it('answers malformed JSON with 400', async () => {
    const response = await app().app.request(`/v1/echo/${ID}`, post('{"name":'));
    expect(response.status).toBe(400);
    expect((await problem(response)).detail).toMatch(/not valid JSON/);
  });

  it('refuses unpaired surrogate escapes with 400 and keeps paired ones', async () => {
    for (const name of ['\\ud800', 'a\\udfffb']) {
      const response = await app().app.request(`/v1/echo/${ID}`, post(`{"name":"${name}","count":1}`));
      expect(response.status).toBe(400);
      expect((await problem(response)).type).toMatch(/invalid-unicode$/);
    }
    const paired = await app().app.request(`/v1/echo/${ID}`, post('{"name":"\\ud83d\\ude00","count":1}'));
    expect(paired.status).toBe(201);
    expect(await paired.json()).toEqual({ id: ID, name: '\u{1F600}' });
  });

  it('names every invalid, missing and mistyped field', async () => {
    const response = await app().app.request('/v1/echo/not-a-uuid', post('{"name":"toolong"}'));
    expect(response.status).toBe(400);
    const body = await problem(response);
    expect(body.errors).toEqual([{ field: 'param.id', message: 'must be a UUID' }]);

    const bodyErrors = await problem(await app().app.request(`/v1/echo/${ID}`, post('{"name":"toolong"}')));
    expect(bodyErrors.errors).toEqual(
      expect.arrayContaining([
        { field: 'body.name', message: 'too long' },
        { field: 'body.count', message: 'is required' },
      ]),
    );
    const typeErrors = await problem(
      await app().app.request(`/v1/echo/${ID}`, post('{"name":5,"count":"x"}')),
    );
    expect(typeErrors.errors?.map((error) => error.field).sort()).toEqual(['body.count', 'body.name']);
  });

  it('refuses a body that is not JSON with 415', async () => {
    const response = await app().app.request(
      `/v1/echo/${ID}`,
      post('name=ana', 'application/x-www-form-urlencoded'),
    );
    expect(response.status).toBe(415);
    await problem(response);
  });

  it('refuses an oversize body with 413', async () => {
    const response = await app().app.request(
      `/v1/echo/${ID}`,
      post(JSON.stringify({ name: 'a'.repeat(4096), count: 1 })),
    );
    expect(response.status).toBe(413);
    await problem(response);
  });

  it('answers unknown routes with 404 and a known path with the wrong method with 405', async () => {
    const { app: server } = app();
    const unknown = await server.request('/v1/nothing-here');
    expect(unknown.status).toBe(404);
    await problem(unknown);
    const wrongMethod = await server.request(`/v1/echo/${ID}`, { method: 'GET' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    await problem(wrongMethod);
  });

  it('turns a slow request into 504 and counts it', async () => {
    const { app: server, platform } = app();
    const response = await server.request('/v1/failing/slow');
    expect(response.status).toBe(504);
    await problem(response);
    expect(await platform.metrics.registry.metrics()).toMatch(
      /request_timeout_total\{[^}]*function="failing"[^}]*\} 1/,
    );
  });

  it('hides unexpected errors behind a 500 that quotes the request id, and logs them', async () => {
    const { app: server, lines } = app();
    const response = await server.request('/v1/failing/boom', { headers: { 'x-request-id': 'req-123' } });
    expect(response.status).toBe(500);
    const body = await problem(response);
    expect(body.detail).toContain('req-123');
    expect(body.detail).not.toContain('secret internal detail');
    const logged = lines.find((line) => line.requestId === 'req-123');
    expect(logged).toMatchObject({ status: 500, function: 'failing', route: '/v1/failing/:mode' });
    expect(JSON.stringify(logged)).toContain('secret internal detail');
  });

  it('passes problems thrown by services through unchanged', async () => {
    const response = await app().app.request('/v1/failing/conflict');
    expect(response.status).toBe(409);
    expect(await problem(response)).toMatchObject({
      type: 'https://secureconnect.dev/problems/taken',
      detail: 'Already taken.',
    });
  });

  it('requires a bearer token where the function says so', async () => {
    const { app: server } = app();
    for (const authorization of [undefined, 'Basic abc', 'Bearer', 'Bearer not.a.jwt']) {
      const response = await server.request(
        '/v1/guarded',
        authorization ? { headers: { authorization } } : {},
      );
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      await problem(response);
    }
  });

  it('echoes or assigns a request id and sets security headers', async () => {
    const { app: server } = app();
    const given = await server.request('/healthz', { headers: { 'x-request-id': 'abc-1' } });
    expect(given.headers.get('x-request-id')).toBe('abc-1');
    const assigned = await server.request('/healthz');
    expect(assigned.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(assigned.headers.get('x-content-type-options')).toBe('nosniff');
    expect(assigned.headers.get('strict-transport-security')).toMatch(/max-age/);
  });

  it('allows CORS only for configured origins', async () => {
    const { app: server } = app({ CORS_ORIGINS: 'https://app.example.com' });
    const allowed = await server.request('/healthz', { headers: { origin: 'https://app.example.com' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await server.request('/healthz', { headers: { origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const none = await app().app.request('/healthz', { headers: { origin: 'https://app.example.com' } });
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves health, readiness and Prometheus metrics, also under /function/<name>', async () => {
    const { app: server } = app({}, [echo]);
    await server.request(`/v1/echo/${ID}`, post('{"name":"ana","count":1}'));
    expect(await (await server.request('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await server.request('/function/echo/healthz')).status).toBe(200);
    const ready = await server.request('/readyz');
    expect(ready.status).toBe(200);
    const metrics = await (await server.request('/metrics')).text();
    expect(metrics).toMatch(
      /http_requests_total\{[^}]*function="echo"[^}]*route="\/v1\/echo\/:id"[^}]*status="201"[^}]*\} 1/,
    );
    expect(metrics).toContain('redis_degraded_mode 0');
  });

  it('logs one line per request without bodies, queries or tokens', async () => {
    const { app: server, lines } = app();
    await server.request(`/v1/echo/${ID}?token=secret-query`, {
      ...post('{"name":"ana","count":1}'),
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer secret-header',
        'x-request-id': 'log-1',
      },
    });
    const requestLines = lines.filter((line) => line.requestId === 'log-1');
    expect(requestLines).toHaveLength(1);
    expect(JSON.stringify(requestLines)).not.toMatch(/secret-query|secret-header|ana/);
  });
});

describe('body size limit over real HTTP', () => {
  it('refuses a declared oversize body and a chunked one, and accepts one within the limit', async () => {
    const { serve } = await import('@hono/node-server');
    const { app: server } = app();
    const listening = serve({ fetch: server.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => listening.once('listening', resolve));
    const { port } = listening.address() as { port: number };
    const url = `http://127.0.0.1:${port}/v1/echo/${ID}`;
    try {
      const big = JSON.stringify({ name: 'a', count: 1, pad: 'x'.repeat(4096) });
      const declared = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: big,
      });
      expect(declared.status).toBe(413);
      const chunked = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new Blob([big]).stream(),
        duplex: 'half',
      } as RequestInit);
      expect(chunked.status).toBe(413);
      const small = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"name":"ana","count":1}',
      });
      expect(small.status).toBe(201);
    } finally {
      await new Promise((resolve) => listening.close(resolve));
    }
  });
});
