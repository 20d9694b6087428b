/**
 * The router config in the real nginx (Debian package `nginx`): `nginx -t` on infra/nginx, then a
 * live nginx in front of a stand-in OpenFaaS gateway, checking that each public path and method
 * reaches `/function/<name>` with the path and query unchanged (SPEC §2, §3, §10).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { AnyFunction } from '@secureconnect/shared/http/define-function';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './lib/function-catalog';
import { loadFunctionsIn } from './lib/generated';
import { methodDispatch, routeTable } from './lib/routes';

/** nginx on PATH, or in the sbin directories a non-root PATH often lacks. */
function findNginx(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  return dirs.map((dir) => join(dir, 'nginx')).find((path) => path.startsWith('/') && existsSync(path));
}

const nginx = findNginx();
const MISSING = 'nginx binary not found (install the Debian package `nginx`)';

if (!nginx && process.env.CI) {
  it('has nginx installed on CI', () => {
    throw new Error(`${MISSING}: CI must validate infra/nginx with the real nginx -t`);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * infra/nginx copied into a temporary prefix: runtime paths (/tmp/nginx/…) moved inside it, the
 * gateway upstream and the listen address pointed at local ports. Fails if a line it rewrites
 * has changed, so the test cannot silently stop covering the real file.
 */
async function prepareConfig(dir: string, gatewayPort: number, listenPort: number): Promise<string> {
  const conf = readFileSync(join(ROOT, 'infra/nginx/nginx.conf'), 'utf8');
  const replacements: Array<[string, string]> = [
    ['server gateway:8080;', `server 127.0.0.1:${gatewayPort};`],
    // The stand-in answers for the realtime gateway too; the tests tell them apart by path.
    ['server realtime-gateway:8081;', `server 127.0.0.1:${gatewayPort};`],
    ['listen 8080;', `listen 127.0.0.1:${listenPort};`],
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

describe.skipIf(!nginx)(`infra/nginx in the real nginx${nginx ? '' : ` (skipped: ${MISSING})`}`, () => {
  let dir: string;
  let conf: string;
  let gateway: Server;
  let routerUrl: string;
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
    const listenPort = await freePort();
    conf = await prepareConfig(dir, (gateway.address() as AddressInfo).port, listenPort);

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
    routerUrl = `http://127.0.0.1:${listenPort}`;
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
});
