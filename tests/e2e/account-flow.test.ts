import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../../scripts/lib/dev-server';
import { tokenFromMail } from '../../shared/src/testing/accounts';
import { startTestServer, type TestServer } from '../../shared/src/testing/test-server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ boot: (env) => startDevServer({ env, handleSignals: false }) });
  console.log(
    `account flow on ${server.backends.sql} + ${server.backends.kv}, mail through a real SMTP server`,
  );
});
afterAll(() => server?.close());

/** The whole account lifecycle a client goes through, once per addressing (SPEC §3). */
describe.each([
  ['the public path', (path: string) => path],
  ['the OpenFaaS function URL', (path: string, fn: string) => `/function/${fn}${path}`],
])('account lifecycle through %s', (_name, address) => {
  it('register → verify email → login → me → refresh → logout', async () => {
    const email = `flow-${crypto.randomUUID()}@example.test`;
    const password = 'a long enough passphrase';

    const registered = await server.request('POST', address('/v1/auth/register', 'auth-register'), {
      body: { email: `  ${email.toUpperCase()} `, password, displayName: 'Flow Tester' },
    });
    expect(registered.status).toBe(201);
    expect(registered.body.user).toMatchObject({
      email,
      displayName: 'Flow Tester',
      emailVerified: false,
      role: 'user',
    });
    expect(registered.body.expiresIn).toBeLessThanOrEqual(900);

    const token = await tokenFromMail(server, email, /confirm your email/i);
    const verified = await server.request('POST', address('/v1/auth/verify-email', 'auth-verify-email'), {
      body: { token },
    });
    expect(verified.status).toBe(204);
    const reused = await server.request('POST', address('/v1/auth/verify-email', 'auth-verify-email'), {
      body: { token },
    });
    expect(reused.status).toBe(400);

    const login = await server.request('POST', address('/v1/auth/login', 'auth-login'), {
      body: { email, password },
    });
    expect(login.status).toBe(200);
    expect(login.body.user.emailVerified).toBe(true);

    const me = await server.request('GET', address('/v1/users/me', 'users-me'), {
      token: login.body.accessToken,
    });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: registered.body.user.id, email, emailVerified: true });

    const refreshed = await server.request('POST', address('/v1/auth/refresh', 'auth-refresh'), {
      body: { refreshToken: login.body.refreshToken },
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).not.toBe(login.body.refreshToken);
    const meAgain = await server.request('GET', address('/v1/users/me', 'users-me'), {
      token: refreshed.body.accessToken,
    });
    expect(meAgain.status).toBe(200);

    const logout = await server.request('POST', address('/v1/auth/logout', 'auth-logout'), {
      token: refreshed.body.accessToken,
    });
    expect(logout.status).toBe(204);
    for (const accessToken of [refreshed.body.accessToken, login.body.accessToken]) {
      expect(
        (await server.request('GET', address('/v1/users/me', 'users-me'), { token: accessToken })).status,
      ).toBe(401);
    }
    const afterLogout = await server.request('POST', address('/v1/auth/refresh', 'auth-refresh'), {
      body: { refreshToken: refreshed.body.refreshToken },
    });
    expect(afterLogout.status).toBe(401);

    // The registration session is separate and still alive.
    expect((await server.request('GET', '/v1/users/me', { token: registered.body.accessToken })).status).toBe(
      200,
    );
  });
});

describe('dev server extras', () => {
  it('serves an OpenAPI document covering every function, and the docs page', async () => {
    const document = await server.request('GET', '/openapi.json');
    expect(document.status).toBe(200);
    expect(document.body.openapi).toBe('3.1.0');
    const operations = Object.values(
      document.body.paths as Record<string, Record<string, { operationId: string }>>,
    ).flatMap((methods) => Object.values(methods).map((operation) => operation.operationId));
    expect(operations).toEqual(
      expect.arrayContaining(['auth-register', 'auth-login', 'users-me', 'users-blocked-list']),
    );
    expect(
      document.body.paths['/v1/auth/register'].post.requestBody.content['application/json'].schema.required,
    ).toEqual(expect.arrayContaining(['email', 'password', 'displayName']));
    const docs = await server.request('GET', '/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
    expect(String(docs.body)).toContain('/openapi.json');
  });

  it('reports readiness of every store it uses', async () => {
    const ready = await server.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(Object.keys(ready.body.checks).sort()).toEqual([
      'ai',
      'blobs',
      'calls',
      'events',
      'kv',
      'mail',
      'messages',
      'push',
      'push-providers',
      'signing-key',
      'sql',
      'verify-key',
    ]);
    // AI is optional: off is still ready.
    expect(ready.body.checks.ai).toEqual({ status: 'ok', detail: 'off (AI_BASE_URL, AI_MODEL unset)' });
  });
});
