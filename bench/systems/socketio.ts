/**
 * The peer: Socket.IO 4 with its Redis adapter, in the same topology as ours — an API process
 * that takes the HTTP send and emits to the conversation's room through the adapter (Redis
 * pub/sub), and a gateway process holding the clients, which receives the broadcast from Redis
 * and writes it to every socket of the room.
 *
 *   node --import tsx bench/systems/socketio.ts api|gateway
 *   env: PORT, REDIS_URL, BENCH_KEY_PREFIX, JWT_PUBLIC_KEY; for the gateway either
 *   BENCH_CONVERSATION_ID (every socket joins that room) or BENCH_MEMBERSHIP_FILE (JSON
 *   {userId: conversationIds[]}: each socket joins its user's rooms, as our gateway subscribes
 *   each socket to its user's conversations).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { env, exitOnSigterm, listen, messageCreatedEvent, reply, sendServer, tokenVerifier } from './common';

const role = process.argv[2];
const pub = new Redis(env('REDIS_URL'));
const sub = pub.duplicate();
const adapter = createAdapter(pub, sub, { key: `${env('BENCH_KEY_PREFIX')}socket.io` });
const verify = await tokenVerifier(env('JWT_PUBLIC_KEY'));
const room = (conversationId: string) => `conv:${conversationId}`;

if (role === 'gateway') {
  const membershipFile = process.env.BENCH_MEMBERSHIP_FILE;
  const membership: Record<string, string[]> = membershipFile
    ? JSON.parse(readFileSync(membershipFile, 'utf8'))
    : {};
  const roomsOf = (userId: string) =>
    (membershipFile ? (membership[userId] ?? []) : [env('BENCH_CONVERSATION_ID')]).map(room);
  const http = createServer((request, response) => {
    if (request.url === '/healthz') reply(response, 200, { status: 'ok' });
  });
  const io = new Server(http, { transports: ['websocket'], serveClient: false, adapter });
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    if (typeof token !== 'string') return next(new Error('unauthorized'));
    verify(token).then(
      (userId) => {
        socket.data.userId = userId;
        next();
      },
      () => next(new Error('unauthorized')),
    );
  });
  io.on('connection', (socket) => {
    socket.join(roomsOf(socket.data.userId as string));
  });
  await listen(http);
  exitOnSigterm(async () => {
    io.close();
    pub.disconnect();
    sub.disconnect();
  });
} else if (role === 'api') {
  const io = new Server({ transports: ['websocket'], serveClient: false, adapter });
  const seqs = new Map<string, number>();
  const server = sendServer(async (conversationId, senderId, clientMessageId, body) => {
    const seq = (seqs.get(conversationId) ?? 0) + 1;
    seqs.set(conversationId, seq);
    const event = messageCreatedEvent(conversationId, seq, senderId, clientMessageId, body);
    io.to(room(conversationId)).emit('event', event);
    return event.data.message;
  }, verify);
  await listen(server);
  exitOnSigterm(() => {
    server.close();
    pub.disconnect();
    sub.disconnect();
  });
} else {
  throw new Error('usage: socketio.ts api|gateway');
}
