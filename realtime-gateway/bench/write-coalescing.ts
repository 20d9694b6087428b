/**
 * Which write path is faster for fan-out: one `ws.send` per frame per socket as frames arrive, or
 * the gateway's path — frames queued per socket and flushed once per tick with the TCP socket
 * corked (FlushScheduler + Connection.flush)? Same sockets, same pre-encoded frames, same bursts.
 *
 *   node --import tsx realtime-gateway/bench/write-coalescing.ts [sockets] [frames] [burst]
 *
 * Clients live in this process too, so the figures are for comparison, not absolute capacity.
 */
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { FlushScheduler } from '../src/flush-scheduler';

const [sockets = 300, frames = 2000, burst = 20] = process.argv.slice(2).map(Number);

interface Target {
  ws: WebSocket;
  socket: Socket;
  pending: Buffer[];
  lastFlushAt: number;
  flush(): void;
}

async function run(strategy: 'send-per-frame' | 'coalesced-corked'): Promise<number> {
  const server = new WebSocketServer({ port: 0, perMessageDeflate: false });
  await once(server, 'listening');
  const targets: Target[] = [];
  server.on('connection', (ws, request) => {
    const target: Target = {
      ws,
      socket: request.socket,
      pending: [],
      lastFlushAt: Number.NEGATIVE_INFINITY,
      flush() {
        const queued = target.pending;
        target.pending = [];
        target.socket.cork();
        for (const frame of queued) ws.send(frame, { binary: false });
        target.socket.uncork();
      },
    };
    targets.push(target);
  });
  const { port } = server.address() as AddressInfo;
  let received = 0;
  const expected = sockets * frames;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const clients = await Promise.all(
    Array.from({ length: sockets }, async () => {
      const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
      client.on('message', () => {
        if (++received === expected) done();
      });
      await once(client, 'open');
      return client;
    }),
  );
  while (targets.length < sockets) await new Promise((resolve) => setImmediate(resolve));

  const scheduler = new FlushScheduler();
  const payload = (seq: number) =>
    Buffer.from(
      JSON.stringify({ type: 'event', event: 'message.created', seq, data: { body: 'x'.repeat(150) } }),
    );
  const started = process.hrtime.bigint();
  for (let seq = 0; seq < frames; seq += burst) {
    // One burst = what one tick of Redis messages brings; each frame goes to every socket.
    for (let offset = 0; offset < burst && seq + offset < frames; offset++) {
      const frame = payload(seq + offset);
      for (const target of targets) {
        if (strategy === 'send-per-frame') target.ws.send(frame, { binary: false });
        else {
          target.pending.push(frame);
          if (target.pending.length === 1) scheduler.schedule(target);
        }
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await finished;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const client of clients) client.terminate();
  server.close();
  return expected / seconds;
}

const results: Record<string, string> = {};
for (const strategy of [
  'send-per-frame',
  'coalesced-corked',
  'send-per-frame',
  'coalesced-corked',
] as const) {
  const rate = await run(strategy);
  results[strategy] =
    `${results[strategy] ? `${results[strategy]}, ` : ''}${Math.round(rate).toLocaleString('en')}`;
}
console.log(`${sockets} sockets, ${frames} frames in bursts of ${burst}: deliveries/s (two runs each)`);
console.table(results);
