import { randomUUID } from 'node:crypto';
import type { Platform } from '@secureconnect/shared/platform/platform';
import { registerAccount } from '@secureconnect/shared/testing/accounts';
import { startTestServer } from '@secureconnect/shared/testing/test-server';
import { describe, expect, it } from 'vitest';
import { CloseCode } from '../src/protocol';
import { startGatewayServer } from '../src/server';
import { startRealtimeTestServer, TestClient } from './support';

/** A user and a live session straight through the services, for a gateway that serves no auth functions. */
async function sessionToken(platform: Platform): Promise<{ userId: string; accessToken: string }> {
  const { db } = await platform.database();
  const user = await db
    .insertInto('users')
    .values({ email: `${randomUUID()}@example.test`, display_name: 'Gateway User', updated_at: new Date() })
    .returning(['id', 'role'])
    .executeTakeFirstOrThrow();
  const tokens = await (await platform.sessions()).open(user, { ip: '127.0.0.1', userAgent: undefined });
  return { userId: user.id, accessToken: tokens.accessToken };
}

describe('graceful shutdown', () => {
  it('closes every socket with 1001 "server shutting down", authenticated or not, and stops accepting', async () => {
    const server = await startRealtimeTestServer();
    try {
      const ann = await registerAccount(server);
      const ready = await TestClient.ready(server, ann);
      const unauthenticated = await TestClient.connect(server);

      await server.server.close();

      for (const client of [ready, unauthenticated])
        expect(await client.closed).toEqual({ code: CloseCode.goingAway, reason: 'server shutting down' });
      await expect(TestClient.connect(server)).rejects.toThrow();
    } finally {
      await server.close();
    }
  });
});

describe('the standalone gateway', () => {
  it('serves /v1/realtime, /healthz, /readyz with its own dependencies and /metrics, and shuts down with 1001', async () => {
    const server = await startTestServer({
      boot: (env) => startGatewayServer({ env, handleSignals: false }),
    });
    try {
      expect((await server.request('GET', '/healthz')).status).toBe(200);
      const ready = await server.request('GET', '/readyz');
      expect(Object.keys(ready.body.checks).sort()).toEqual([
        'events',
        'kv',
        'messages',
        'sql',
        'verify-key',
      ]);
      expect(ready.body.checks.sql.status).toBe('ok');
      expect(ready.body.checks.events.status).toBe('ok');

      const { userId, accessToken } = await sessionToken(server.server.platform);
      const client = await TestClient.ready(server, { accessToken });
      expect(client.ofType('ready')).toEqual([{ type: 'ready', userId, conversationIds: [] }]);
      const metrics = String((await server.request('GET', '/metrics')).body);
      expect(metrics).toMatch(/^websocket_connections\{[^}]*\} 1$/m);
      expect(metrics).toMatch(/^websocket_messages_total\{[^}]*direction="in",type="auth"[^}]*\} 1$/m);
      // The upgrade skips the app's middleware but keeps its request metrics.
      expect(metrics).toMatch(/^http_requests_total\{[^}]*route="\/v1\/realtime"[^}]*\} 1$/m);

      await server.server.close();
      expect(await client.closed).toEqual({ code: CloseCode.goingAway, reason: 'server shutting down' });
    } finally {
      await server.close();
    }
  });
});
