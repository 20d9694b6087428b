/**
 * Object storage stopped mid-traffic (SPEC §8): drive calls answer 503 quickly once the circuit
 * is open, chat keeps sending and delivering, and the drive comes back by itself.
 */
import type { RealtimeClient } from '@secureconnect/client';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { metricValue } from '../../shared/src/testing/observability';
import { startS3Endpoint, type TestS3Endpoint } from '../../shared/src/testing/s3';
import type { TestServer } from '../../shared/src/testing/test-server';
import { connectRealtime, registerUsers, startSdkDevServer, WAIT } from '../support/sdk';

let s3: TestS3Endpoint;
let server: TestServer;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  s3 = await startS3Endpoint();
  ({ server } = await startSdkDevServer(s3.env()));
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server?.close();
  await s3?.close();
});

it('answers drive calls 503 within a second while S3 is down, keeps chat working, and recovers by itself', async () => {
  const [ana, ben] = await registerUsers(server.url, 'Ana', 'Ben');
  const group = await ana.client.conversations.create({ type: 'group', title: 'Ops', memberIds: [ben.id] });
  const { realtime, recorder } = await connectRealtime(ben);
  clients.push(realtime);
  const before = await ana.client.files.upload({
    data: new TextEncoder().encode('before'),
    name: 'before.txt',
  });
  const pending = await ana.client.files.presign({ name: 'pending.txt', size: 7, contentType: 'text/plain' });
  const doomed = await ana.client.files.upload({
    data: new TextEncoder().encode('doomed'),
    name: 'doomed.txt',
  });
  const token = ana.client.tokens?.accessToken as string;
  const call = (method: string, path: string, body?: unknown) =>
    server.request(method, path, { token, body });
  const breaker = server.server.platform.metrics.s3CircuitBreakerOpen;
  expect(await metricValue(breaker)).toBe(0);

  await s3.stop();
  // The first calls find the store down (each retried once); then the circuit opens.
  await vi.waitFor(async () => {
    await call('GET', `/v1/files/${before.id}/download`);
    expect(await metricValue(breaker)).toBe(1);
  }, WAIT);

  for (const [method, path, body] of [
    ['POST', '/v1/files', { name: 'during.txt', size: 6, contentType: 'text/plain' }],
    ['GET', `/v1/files/${before.id}/download`, undefined],
    ['POST', `/v1/files/${pending.fileId}/complete`, undefined],
  ] as const) {
    const started = performance.now();
    const response = await call(method, path, body);
    const elapsedMs = performance.now() - started;
    expect({ path, status: response.status }).toEqual({ path, status: 503 });
    expect(response.body.type).toMatch(/storage-unavailable$/);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(elapsedMs).toBeLessThan(1000);
  }
  // What needs no store still answers: the list, and completing a completed file.
  expect((await call('GET', '/v1/files')).status).toBe(200);
  expect((await call('POST', `/v1/files/${before.id}/complete`)).status).toBe(200);
  const ready = await server.request('GET', '/readyz');
  expect(ready.status).toBe(200);
  expect(ready.body.checks.blobs.status).toBe('degraded');

  // Chat is unaffected: a message sends and reaches the other member live.
  const message = await ana.client.messages.send(group.id, { body: 'storage is down, chat is not' });
  await vi.waitFor(() => expect(recorder.bodies(group.id)).toContain(message.body), WAIT);

  // Deleting needs no store either: the file and its quota go now, the object once S3 is back.
  expect((await call('DELETE', `/v1/files/${doomed.id}`)).status).toBe(204);
  const listed = (await call('GET', '/v1/files')).body;
  expect(listed.items.map((file: { id: string }) => file.id)).not.toContain(doomed.id);

  await s3.start();
  const after = await vi.waitFor(
    () => ana.client.files.upload({ data: new TextEncoder().encode('after'), name: 'after.txt' }),
    { timeout: 20_000, interval: 500 },
  );
  expect(after.status).toBe('ready');
  expect(await metricValue(breaker)).toBe(0);
  expect(await (await ana.client.files.download(before.id)).text()).toBe('before');
  expect((await server.request('GET', '/readyz')).body.checks.blobs.status).toBe('ok');
  const store = await server.server.platform.blobStore();
  const doomedKey = `users/${ana.id}/${doomed.id}`;
  expect(await store.head(doomedKey)).not.toBeNull();
  const swept = await server.request('POST', '/function/files-sweep');
  expect(swept.body.failed).toBe(0);
  expect(await store.head(doomedKey)).toBeNull();
});
