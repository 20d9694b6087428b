import { registerAccount } from '@secureconnect/shared/testing/accounts';
import { startTestServer, type TestServer } from '@secureconnect/shared/testing/test-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDevServer } from '../../scripts/lib/dev-server';
import { CloseCode } from '../src/protocol';
import { TestClient } from './support';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ boot: (env) => startDevServer({ env, handleSignals: false }) });
});
afterAll(() => server?.close());

it('hosts the realtime gateway at /v1/realtime beside the functions, and closes its sockets with 1001 on shutdown', async () => {
  const ann = await registerAccount(server);
  const client = await TestClient.ready(server, ann);
  expect(client.ofType('ready')).toEqual([{ type: 'ready', userId: ann.id, conversationIds: [] }]);
  // The app's middleware logs and counts the upgrade under its route.
  const metrics = String((await server.request('GET', '/metrics')).body);
  expect(metrics).toMatch(/^http_requests_total\{[^}]*route="\/v1\/realtime"[^}]*\} 1$/m);
  await server.server.close();
  expect(await client.closed).toMatchObject({ code: CloseCode.goingAway });
});
