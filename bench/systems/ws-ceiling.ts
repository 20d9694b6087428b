/**
 * The ceiling: what fan-out from Redis pub/sub costs with nothing else — no authentication, no
 * routing, no ordering, no buffering policy. The API process publishes the encoded frame to one
 * Redis channel; the gateway process subscribes and writes that same Buffer to every socket.
 *
 *   node --import tsx bench/systems/ws-ceiling.ts api|gateway
 *   env: PORT, REDIS_URL, BENCH_KEY_PREFIX
 */
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';
import { env, exitOnSigterm, listen, messageCreatedEvent, reply, sendServer } from './common';

const role = process.argv[2];
const channel = `${env('BENCH_KEY_PREFIX')}ceiling`;
const redis = new Redis(env('REDIS_URL'));

if (role === 'gateway') {
  const http = createServer((request, response) => {
    if (request.url === '/healthz') reply(response, 200, { status: 'ok' });
  });
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  redis.on('messageBuffer', (_channel: Buffer, frame: Buffer) => {
    for (const ws of wss.clients) ws.send(frame, { binary: false });
  });
  await redis.subscribe(channel);
  await listen(http);
  exitOnSigterm(() => {
    for (const ws of wss.clients) ws.terminate();
    redis.disconnect();
  });
} else if (role === 'api') {
  let seq = 0;
  const server = sendServer(async (conversationId, senderId, clientMessageId, body) => {
    const event = messageCreatedEvent(conversationId, ++seq, senderId, clientMessageId, body);
    await redis.publish(channel, JSON.stringify(event));
    return event.data.message;
  });
  await listen(server);
  exitOnSigterm(() => {
    server.close();
    redis.disconnect();
  });
} else {
  throw new Error('usage: ws-ceiling.ts api|gateway');
}
