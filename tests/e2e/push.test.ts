/**
 * Push end to end: the real dispatcher and FCM provider against a local server that speaks FCM's
 * HTTP v1 API and Google's OAuth token endpoint; in-process dispatch (npm start) and the
 * production path through an OpenFaaS-style asynchronous invocation.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RealtimeClient } from '@secureconnect/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeFcm, startFakeFcm } from '../../shared/src/testing/fake-fcm';
import { metricValue } from '../../shared/src/testing/observability';
import type { TestServer } from '../../shared/src/testing/test-server';
import {
  connectRealtime,
  registerUsers,
  type SdkUser,
  settle,
  startSdkDevServer,
  WAIT,
} from '../support/sdk';

let fcm: FakeFcm;
const servers: TestServer[] = [];
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  fcm = await startFakeFcm();
});
afterAll(async () => {
  for (const client of clients) client.close();
  for (const server of servers) await server.close();
  await fcm?.close();
});

/** A registered user with one FCM device whose token is their name. */
async function withDevice(user: SdkUser): Promise<string> {
  const token = `fcm-${user.name}-${crypto.randomUUID()}`;
  await user.client.push.registerDevice({ platform: 'fcm', token });
  return token;
}

const sentTo = (token: string) =>
  fcm.sends.filter((send) => send.message?.token === token && send.status === 200);

/** A local-time window around now, in UTC, for quiet hours that are in effect. */
function quietNow() {
  const at = (offsetMinutes: number) => {
    const date = new Date(Date.now() + offsetMinutes * 60_000);
    return `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`;
  };
  return { start: at(-60), end: at(60), timeZone: 'UTC' };
}

describe('push, dispatched in-process (npm start)', () => {
  let server: TestServer;
  beforeAll(async () => {
    ({ server } = await startSdkDevServer(fcm.env()));
    servers.push(server);
  });

  it('reaches offline members only, honours mute, quiet hours, push off and previews, and drops dead tokens', async () => {
    const users = await registerUsers(server.url, 'Ana', 'Ben', 'Cid', 'Dee', 'Eve', 'Fay', 'Gus', 'Hal');
    const [ana, , cid, dee, eve, fay, gus] = users;
    const tokens = Object.fromEntries(
      await Promise.all(users.map(async (user) => [user.name, await withDevice(user)])),
    );
    const group = await ana.client.conversations.create({
      type: 'group',
      title: 'Team',
      memberIds: users.slice(1).map((user) => user.id),
    });
    const online = await connectRealtime(cid);
    clients.push(online.realtime);
    await dee.client.members.update(group.id, dee.id, {
      mutedUntil: new Date(Date.now() + 3600_000).toISOString(),
    });
    await eve.client.push.updatePreferences({ quietHours: quietNow() });
    await fay.client.push.updatePreferences({ pushEnabled: false });
    await gus.client.push.updatePreferences({ previews: false });
    fcm.script(tokens.Hal as string, 'unregistered');
    const tokenFetches = fcm.tokenRequests.length;
    const sentBefore = await metricValue(server.server.platform.metrics.pushNotificationsTotal, {
      provider: 'fcm',
      result: 'sent',
    });

    const message = await ana.client.messages.send(group.id, { body: 'standup in five' });
    await vi.waitFor(() => {
      expect(sentTo(tokens.Ben as string)).toHaveLength(1);
      expect(sentTo(tokens.Gus as string)).toHaveLength(1);
      expect(fcm.sends.some((send) => send.message?.token === tokens.Hal)).toBe(true);
    }, WAIT);
    await settle();
    expect(sentTo(tokens.Ben as string)[0]?.message).toMatchObject({
      notification: { title: 'Ana in Team', body: 'standup in five' },
      data: { kind: 'message', conversationId: group.id, messageId: message.id },
      android: { priority: 'NORMAL', collapse_key: group.id },
    });
    expect(sentTo(tokens.Gus as string)[0]?.message?.notification).toEqual({ title: 'Ana in Team' });
    for (const quiet of [ana, cid, dee, eve, fay])
      expect(sentTo(tokens[quiet.name] as string)).toHaveLength(0);
    // One OAuth token for every send of the dispatch.
    expect(fcm.tokenRequests.length - tokenFetches).toBeLessThanOrEqual(1);
    expect(
      await metricValue(server.server.platform.metrics.pushNotificationsTotal, {
        provider: 'fcm',
        result: 'sent',
      }),
    ).toBe(sentBefore + 2);

    // Hal's token was reported dead and deleted: the next message does not try it again.
    const halsTries = fcm.sends.filter((send) => send.message?.token === tokens.Hal).length;
    await ana.client.messages.send(group.id, { body: 'second' });
    await vi.waitFor(() => expect(sentTo(tokens.Ben as string)).toHaveLength(2), WAIT);
    await settle();
    expect(fcm.sends.filter((send) => send.message?.token === tokens.Hal)).toHaveLength(halsTries);
    // The access token is still reused.
    expect(fcm.tokenRequests.length - tokenFetches).toBeLessThanOrEqual(1);
  });

  it('never carries a preview from an E2EE conversation, and rings urgently for calls', async () => {
    const [ana, ben] = await registerUsers(server.url, 'Ana', 'Ben');
    const token = await withDevice(ben);
    const secret = await ana.client.conversations.create({
      type: 'group',
      title: 'Vault',
      memberIds: [ben.id],
      e2ee: true,
    });
    await ana.client.messages.send(secret.id, { body: 'Y2lwaGVydGV4dA==' });
    await vi.waitFor(() => expect(sentTo(token)).toHaveLength(1), WAIT);
    expect(sentTo(token)[0]?.message?.notification).toEqual({ title: 'Ana in Vault' });
    expect(JSON.stringify(sentTo(token)[0]?.message)).not.toContain('Y2lwaGVydGV4dA==');

    const direct = await ana.client.conversations.create({ type: 'direct', userId: ben.id });
    const call = await ana.client.calls.start(direct.id, { video: true });
    await vi.waitFor(() => expect(sentTo(token)).toHaveLength(2), WAIT);
    expect(sentTo(token)[1]?.message).toMatchObject({
      notification: { title: 'Ana is calling', body: 'Video call' },
      data: { kind: 'call', callId: call.callId, conversationId: direct.id },
      android: { priority: 'HIGH' },
    });
    await ana.client.calls.end(call.callId);
  });
});

describe('push, dispatched asynchronously through the OpenFaaS gateway (production)', () => {
  let gateway: Server;
  const jobs: unknown[] = [];
  let target = '';

  beforeAll(async () => {
    // What the OpenFaaS gateway does with POST /async-function/<name>: 202 now, the call later.
    gateway = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (request.method !== 'POST' || request.url !== '/async-function/push-dispatch') {
          response.writeHead(404).end();
          return;
        }
        jobs.push(JSON.parse(body));
        response.writeHead(202, { 'x-call-id': crypto.randomUUID() }).end();
        setImmediate(() => {
          void fetch(`${target}/function/push-dispatch`, {
            method: 'POST',
            headers: { 'content-type': request.headers['content-type'] ?? 'application/json' },
            body,
          });
        });
      });
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => gateway?.close(resolve));
  });

  it('hands each new message to push-dispatch through the gateway and the member is notified', async () => {
    const { port } = gateway.address() as AddressInfo;
    const { server } = await startSdkDevServer({
      ...fcm.env(),
      PUSH_DISPATCH_URL: `http://127.0.0.1:${port}/async-function/push-dispatch`,
    });
    servers.push(server);
    target = server.url;
    const [ana, ben] = await registerUsers(server.url, 'Ana', 'Ben');
    const token = await withDevice(ben);
    const direct = await ana.client.conversations.create({ type: 'direct', userId: ben.id });
    const message = await ana.client.messages.send(direct.id, { body: 'through the queue' });
    expect(jobs).toContainEqual({ kind: 'message', conversationId: direct.id, messageId: message.id });
    await vi.waitFor(() => expect(sentTo(token)).toHaveLength(1), WAIT);
    expect(sentTo(token)[0]?.message).toMatchObject({
      notification: { title: 'Ana', body: 'through the queue' },
    });
  });
});
