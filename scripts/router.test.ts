/**
 * The router config in the real nginx (Debian package `nginx`): `nginx -t` on infra/nginx, then a
 * live nginx in front of a stand-in OpenFaaS gateway, checking that each public path and method
 * reaches `/function/<name>` with the path and query unchanged (SPEC §2, §3, §10).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyFunction } from '@secureconnect/shared/http/define-function';
import { findBinary, requiredOnCi } from '@secureconnect/shared/testing/binaries';
import { localhostCertificate } from '@secureconnect/shared/testing/certificates';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './lib/function-catalog';
import { loadFunctionsIn } from './lib/generated';
import { methodDispatch, routeTable } from './lib/routes';

const nginx = findBinary('nginx');
const MISSING = 'nginx binary not found (install the Debian package `nginx`)';
requiredOnCi('nginx', nginx, 'nginx', 'CI must validate infra/nginx with the real nginx -t');

/** `count` distinct free ports: each held open until all are found, so none repeats. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer().listen(0, '127.0.0.1'));
  await Promise.all(servers.map((server) => once(server, 'listening')));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/**
 * infra/nginx copied into a temporary prefix: runtime paths (/tmp/nginx/…) moved inside it, the
 * gateway upstream and the listen address pointed at local ports. Fails if a line it rewrites
 * has changed, so the test cannot silently stop covering the real file.
 */
async function prepareConfig(dir: string, gatewayPort: number, ports: ListenPorts): Promise<string> {
  const conf = readFileSync(join(ROOT, 'infra/nginx/nginx.conf'), 'utf8');
  const replacements: Array<[string, string]> = [
    ['server gateway:8080;', `server 127.0.0.1:${gatewayPort};`],
    // The stand-in answers for the realtime gateway, LiveKit and MinIO too; the tests tell them
    // apart by path and port.
    ['server realtime-gateway:8081;', `server 127.0.0.1:${gatewayPort};`],
    ['server livekit:7880;', `server 127.0.0.1:${gatewayPort};`],
    ['server minio:9000;', `server 127.0.0.1:${gatewayPort};`],
    ['listen 8080;', `listen 127.0.0.1:${ports.http};`],
    ['listen 8443 ssl;', `listen 127.0.0.1:${ports.https} ssl;`],
    ['listen 7443 ssl;', `listen 127.0.0.1:${ports.livekit} ssl;`],
    ['listen 9443 ssl;', `listen 127.0.0.1:${ports.s3} ssl;`],
    ['listen 8082;', `listen 127.0.0.1:${ports.status};`],
    // The compose secrets: a certificate made for this run.
    ['/run/secrets/router-tls-crt;', `${join(dir, 'tls.crt')};`],
    ['/run/secrets/router-tls-key;', `${join(dir, 'tls.key')};`],
  ];
  let rewritten = conf;
  for (const [from, to] of replacements) {
    if (!rewritten.includes(from)) throw new Error(`infra/nginx/nginx.conf no longer contains "${from}"`);
    rewritten = rewritten.replace(from, to);
  }
  rewritten = rewritten.replaceAll('/tmp/nginx/', `${join(dir, 'run')}/`);
  await mkdir(join(dir, 'run'), { recursive: true });
  await writeFile(join(dir, 'nginx.conf'), rewritten);
  await writeFile(join(dir, 'routes.conf'), readFileSync(join(ROOT, 'infra/nginx/routes.conf'), 'utf8'));
  return join(dir, 'nginx.conf');
}

interface ListenPorts {
  http: number;
  https: number;
  livekit: number;
  s3: number;
  status: number;
}

/** One HTTPS request trusting only `ca`; the answer's status and body (JSON when it is). */
function httpsCall(
  port: number,
  path: string,
  ca: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      { host: '127.0.0.1', port, path, ca, method: options.method ?? 'GET', headers: options.headers },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text || '{}') }),
        );
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

describe.skipIf(!nginx)(`infra/nginx in the real nginx${nginx ? '' : ` (skipped: ${MISSING})`}`, () => {
  let dir: string;
  let conf: string;
  let gateway: Server;
  let routerUrl: string;
  let ports: ListenPorts;
  let ca: string;
  let stopRouter: () => Promise<void>;
  let functions: AnyFunction[];

  beforeAll(async () => {
    functions = await loadFunctionsIn(ROOT);
    dir = await mkdtemp(join(tmpdir(), 'sc-nginx-'));
    // A stand-in for the OpenFaaS gateway: echoes what reached it.
    gateway = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ method: request.method, url: request.url, headers: request.headers }));
      });
    });
    gateway.listen(0, '127.0.0.1');
    await once(gateway, 'listening');
    const [http, https, livekit, s3, status] = (await freePorts(5)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    ports = { http, https, livekit, s3, status };
    const certificate = localhostCertificate();
    await writeFile(join(dir, 'tls.key'), certificate.key);
    await writeFile(join(dir, 'tls.crt'), certificate.cert);
    ca = certificate.cert;
    conf = await prepareConfig(dir, (gateway.address() as AddressInfo).port, ports);

    const router = spawn(
      nginx as string,
      ['-p', dir, '-c', conf, '-e', join(dir, 'error.log'), '-g', 'daemon off;'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    const exited = once(router, 'exit');
    stopRouter = async () => {
      if (router.exitCode === null) {
        router.kill('SIGQUIT');
        await exited;
      }
    };
    routerUrl = `http://127.0.0.1:${ports.http}`;
    for (let attempt = 0; ; attempt++) {
      try {
        await fetch(`${routerUrl}/healthz`);
        break;
      } catch (error) {
        if (router.exitCode !== null || attempt > 200)
          throw new Error(`nginx did not start: ${String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
  });

  afterAll(async () => {
    await stopRouter?.();
    gateway?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes nginx -t', () => {
    // stdout is /dev/null: nginx opens /dev/stdout for its access log, which fails on a socket.
    const result = spawnSync(nginx as string, ['-t', '-p', dir, '-c', conf, '-e', join(dir, 'error.log')], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    expect(result.stderr).toContain('test is successful');
    expect(result.status).toBe(0);
  });

  it('sends every public path and method to its function, path and query unchanged', async () => {
    for (const route of routeTable(functions)) {
      const path = route.path.replace(/:[A-Za-z0-9]+/g, 'a1b2-c3');
      for (const [method, name] of methodDispatch(route)) {
        const response = await fetch(`${routerUrl}${path}?q=1&next=%2Fx`, { method });
        expect(response.status, `${method} ${path}`).toBe(200);
        if (method === 'HEAD') continue;
        const seen = (await response.json()) as { method: string; url: string };
        expect(seen, `${method} ${path}`).toEqual(
          expect.objectContaining({ method, url: `/function/${name}${path}?q=1&next=%2Fx` }),
        );
      }
    }
  });

  it('sends /v1/realtime to the realtime gateways with the upgrade headers', async () => {
    const response = await fetch(`${routerUrl}/v1/realtime`);
    const seen = (await response.json()) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/v1/realtime');
    expect(seen.headers.connection).toBe('close');
  });

  it('dispatches one path to several functions by method', async () => {
    const targets = await Promise.all(
      ['GET', 'PATCH', 'DELETE'].map(async (method) => {
        const response = await fetch(`${routerUrl}/v1/users/me`, { method });
        return ((await response.json()) as { url: string }).url;
      }),
    );
    expect(targets).toEqual([
      '/function/users-me/v1/users/me',
      '/function/users-update-me/v1/users/me',
      '/function/users-delete-me/v1/users/me',
    ]);
  });

  it('answers an undeclared method with 405 problem+json and Allow', async () => {
    const response = await fetch(`${routerUrl}/v1/users/me`, { method: 'PUT' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, PATCH, DELETE, OPTIONS');
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({
      status: 405,
      detail: 'PUT is not allowed here; use GET, HEAD, PATCH, DELETE, OPTIONS.',
    });
  });

  it('answers unknown paths with 404 and never exposes the gateway itself', async () => {
    for (const path of [
      '/v1/nothing-here',
      '/v1/users/me/extra',
      '/function/users-me/v1/users/me',
      '/system/functions',
      '/ui/',
    ]) {
      const response = await fetch(routerUrl + path);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toMatchObject({ status: 404 });
    }
  });

  it("passes the client's X-Request-Id, makes one when absent, and sets X-Forwarded-For to the peer", async () => {
    const given = await fetch(`${routerUrl}/v1/users/me`, {
      headers: { 'x-request-id': 'req-123', 'x-forwarded-for': '203.0.113.9' },
    });
    const seen = (await given.json()) as { headers: Record<string, string> };
    expect(seen.headers['x-request-id']).toBe('req-123');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');

    const made = (
      (await (await fetch(`${routerUrl}/v1/users/me`)).json()) as { headers: Record<string, string> }
    ).headers['x-request-id'];
    expect(made).toMatch(/^[0-9a-f]{32}$/);
  });

  it('answers bodies over BODY_LIMIT_BYTES with 413 problem+json', async () => {
    const response = await fetch(`${routerUrl}/v1/auth/login`, {
      method: 'POST',
      body: 'x'.repeat(1024 * 1024 + 1),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ status: 413 });
  });
  it('serves the same API over TLS with the mounted certificate', async () => {
    const health = await httpsCall(ports.https, '/healthz', ca);
    expect(health).toEqual({ status: 200, body: { status: 'ok' } });
    const routed = await httpsCall(ports.https, '/v1/users/me', ca);
    expect(routed.body).toMatchObject({ url: '/function/users-me/v1/users/me' });
    expect((routed.body.headers as Record<string, string>)['x-forwarded-proto']).toBe('https');
  });

  it("fronts LiveKit's signalling on its own TLS port, upgrade headers included", async () => {
    const seen = await httpsCall(ports.livekit, '/rtc?access_token=x', ca, {
      headers: { upgrade: 'websocket' },
    });
    expect(seen.body).toMatchObject({ url: '/rtc?access_token=x' });
    expect((seen.body.headers as Record<string, string>).upgrade).toBe('websocket');
  });

  it('fronts MinIO for presigned transfers with the Host the signature covers, and hides its admin paths', async () => {
    const put = await httpsCall(ports.s3, '/secureconnect-drive/u/1?X-Amz-Signature=abc', ca, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(2 * 1024 * 1024),
    });
    expect(put.body).toMatchObject({ method: 'PUT', url: '/secureconnect-drive/u/1?X-Amz-Signature=abc' });
    expect((put.body.headers as Record<string, string>).host).toBe(`127.0.0.1:${ports.s3}`);
    for (const path of ['/minio/admin/v3/info', '/minio/health/live', '/minio/v2/metrics/cluster']) {
      expect((await httpsCall(ports.s3, path, ca)).status, path).toBe(404);
    }
  });
  it("serves nginx's counters to the exporter on the internal status port only", async () => {
    const status = await fetch(`http://127.0.0.1:${ports.status}/stub_status`);
    expect(status.status).toBe(200);
    expect(await status.text()).toMatch(/^Active connections: \d+/);
    expect((await fetch(`${routerUrl}/stub_status`)).status).toBe(404);
  });
});
