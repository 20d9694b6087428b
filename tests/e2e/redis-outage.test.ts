import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFunctions } from '../../scripts/lib/function-catalog';
import { registerAccount } from '../../shared/src/testing/accounts';
import { startRedisServer, type TestRedisServer, testKeyPrefix } from '../../shared/src/testing/redis';
import { startTestServer, type TestServer } from '../../shared/src/testing/test-server';

const LOGIN_LIMIT = 6;

let redis: TestRedisServer;
let server: TestServer;

beforeAll(async () => {
  redis = await startRedisServer();
  server = await startTestServer({
    functions: await loadFunctions(),
    env: {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: testKeyPrefix(),
      REDIS_COMMAND_TIMEOUT_MS: '300',
      RATE_LIMIT_LOGIN: `${LOGIN_LIMIT}/60`,
    },
  });
});
afterAll(async () => {
  await server?.close();
  await redis?.stop();
});

async function degradedGauge(): Promise<number> {
  const metrics = await server.request('GET', '/metrics');
  const match = /^redis_degraded_mode(?:\{[^}]*\})? (\d+)$/m.exec(String(metrics.body));
  return Number(match?.[1]);
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const login = (email: string, password: string) =>
  server.request('POST', '/v1/auth/login', { body: { email, password } });

describe('with Redis killed mid-test', () => {
  it('keeps serving logins and authenticated requests, limits in-process, reports degraded mode, and recovers', async () => {
    const account = await registerAccount(server);
    const before = await login(account.email, account.password);
    expect(before.status).toBe(200);
    expect(await degradedGauge()).toBe(0);

    await redis.stop();

    const during = await login(account.email, account.password);
    expect(during.status).toBe(200);
    const me = await server.request('GET', '/v1/users/me', { token: during.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(account.id);
    expect(await degradedGauge()).toBe(1);
    const ready = await server.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.kv.status).toBe('degraded');

    // Logout while degraded still ends the session: SQL is the source of truth.
    expect((await server.request('POST', '/v1/auth/logout', { token: during.body.accessToken })).status).toBe(
      204,
    );
    expect((await server.request('GET', '/v1/users/me', { token: during.body.accessToken })).status).toBe(
      401,
    );

    // The in-process insurance limiter still refuses the attempt after the limit.
    const statuses: number[] = [];
    for (let attempt = 0; attempt < LOGIN_LIMIT + 1; attempt++)
      statuses.push((await login(account.email, account.password)).status);
    expect(statuses).toContain(429);
    const limited = await login(account.email, account.password);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    await redis.start();
    await eventually(async () => (await degradedGauge()) === 0, 'redis_degraded_mode to return to 0');
    const readyAgain = await server.request('GET', '/readyz');
    expect(readyAgain.body.checks.kv.status).toBe('ok');
    expect((await server.request('GET', '/v1/users/me', { token: before.body.accessToken })).status).toBe(
      200,
    );
  });
});
