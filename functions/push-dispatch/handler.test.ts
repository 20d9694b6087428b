import { registerAccount } from '@secureconnect/shared/testing/accounts';
import { startTestServer, type TestServer } from '@secureconnect/shared/testing/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import authRegister from '../auth-register/handler';
import fn from './handler';

let server: TestServer;
beforeAll(async () => {
  // auth-register issues the access tokens this function checks.
  server = await startTestServer({ functions: [fn, authRegister] });
});
afterAll(() => server?.close());

describe('push-dispatch', () => {
  it('needs an access token', async () => {
    const response = await server.request('GET', '/v1/push-dispatch');
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('answers an authenticated caller', async () => {
    const account = await registerAccount(server);
    const response = await server.request('GET', '/v1/push-dispatch', { token: account.accessToken });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: true });
  });

  it('is also served under /function/push-dispatch', async () => {
    const account = await registerAccount(server);
    const response = await server.request('GET', '/function/push-dispatch/v1/push-dispatch', {
      token: account.accessToken,
    });
    expect(response.status).toBe(200);
  });
});
