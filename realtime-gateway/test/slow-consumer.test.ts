import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encodeEventFrame } from '@secureconnect/shared/messaging/events';
import { conversationChannel } from '@secureconnect/shared/realtime/event-bus';
import { registerAccount } from '@secureconnect/shared/testing/accounts';
import { metricValue } from '@secureconnect/shared/testing/observability';
import type { TestServer } from '@secureconnect/shared/testing/test-server';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { CloseCode } from '../src/protocol';
import { createConversation, startRealtimeTestServer, TestClient } from './support';

const FRAME_BYTES = 64 * 1024;
/** Far more than the cap plus what the kernel's socket buffers can absorb. */
const FRAMES = 500;
const MiB = 1024 * 1024;

setFlagsFromString('--expose-gc');
/** A real collection before measuring memory, so garbage is not mistaken for retention. */
const collectGarbage = runInNewContext('gc') as () => void;

let server: TestServer;
beforeAll(async () => {
  // The default cap (1 MiB): a healthy client, even one sharing this process's event loop, keeps up.
  server = await startRealtimeTestServer();
});
afterAll(() => server?.close());

it('closes a client that stops reading, keeps the gateway memory bounded and the other members served', async () => {
  const platform = server.server.platform;
  const [ann, bob] = await Promise.all([registerAccount(server), registerAccount(server)]);
  const conversationId = await createConversation(platform, [ann.id, bob.id]);
  const reader = await TestClient.ready(server, ann);
  const stalled = await TestClient.ready(server, bob);
  stalled.ws.pause();

  collectGarbage();
  const before = process.memoryUsage().arrayBuffers;
  const bus = await platform.eventBus();
  const filler = 'x'.repeat(FRAME_BYTES);
  for (let seq = 1; seq <= FRAMES; seq++) {
    const frame = encodeEventFrame({
      conversationId,
      seq,
      type: 'message.created',
      actorId: ann.id,
      data: { filler },
      createdAt: new Date(),
    });
    await bus.publish(conversationChannel(conversationId), frame);
  }

  const delivered = () => reader.raw.filter((text) => text.startsWith('{"type":"event"')).length;
  await vi.waitFor(() => expect(delivered()).toBe(FRAMES), { timeout: 20_000, interval: 50 });
  expect(reader.ofType('event').map((frame) => frame.seq)).toEqual(
    Array.from({ length: FRAMES }, (_, index) => index + 1),
  );
  expect(await metricValue(platform.metrics.websocketClosesTotal, { reason: 'slow-consumer' })).toBe(1);
  expect(await metricValue(platform.metrics.websocketFramesDroppedTotal)).toBeGreaterThan(0);

  // ~32 MiB went out; held for the stalled socket would be most of it. What stays is the reader's
  // frames (held as strings, not buffers) and small change.
  collectGarbage();
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * MiB);

  stalled.ws.resume();
  const { code } = await stalled.closed;
  // The close frame may be stuck behind data the kernel never delivered: then the socket is cut (1006).
  expect([CloseCode.slowConsumer, 1006]).toContain(code);
  expect(stalled.ofType('event').length).toBeLessThan(FRAMES);
});
