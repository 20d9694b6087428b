/**
 * Our gateway fed the way the peers' gateways are: a bare API process that takes the same HTTP
 * send and publishes the encoded `message.created` frame on the conversation's channel through
 * our RedisEventBus — exactly what messages-send publishes, minus the database work before it.
 * With it, the fan-out comparison isolates the gateway; the full path (dev server) is measured
 * separately.
 *
 *   node --import tsx bench/systems/bus-publisher.ts
 *   env: PORT, REDIS_URL, REDIS_KEY_PREFIX, JWT_PUBLIC_KEY, BENCH_FIRST_SEQ (the conversation's last seq + 1)
 */
import { encodeEventFrame } from '@secureconnect/shared/messaging/events';
import { createLogger } from '@secureconnect/shared/observability/logger';
import { Metrics } from '@secureconnect/shared/observability/metrics';
import { conversationChannel } from '@secureconnect/shared/realtime/event-bus';
import { openEventBus } from '@secureconnect/shared/realtime/open-event-bus';
import { env, exitOnSigterm, listen, messageCreatedEvent, sendServer, tokenVerifier } from './common';

const logger = createLogger({ level: 'warn', service: 'bench-bus-publisher' });
const bus = await openEventBus({
  url: env('REDIS_URL'),
  keyPrefix: env('REDIS_KEY_PREFIX'),
  logger,
  metrics: new Metrics({ service: 'bench-bus-publisher' }),
});
// The gateway delivers seq last+1, last+2, …: anything else would be read as a gap.
let seq = Number(env('BENCH_FIRST_SEQ')) - 1;

const server = sendServer(
  async (conversationId, senderId, clientMessageId, body) => {
    const { data } = messageCreatedEvent(conversationId, ++seq, senderId, clientMessageId, body);
    await bus.publish(
      conversationChannel(conversationId),
      encodeEventFrame({
        conversationId,
        seq,
        type: 'message.created',
        actorId: senderId,
        data,
        createdAt: new Date(),
      }),
    );
    return data.message;
  },
  await tokenVerifier(env('JWT_PUBLIC_KEY')),
);
await listen(server);
exitOnSigterm(async () => {
  server.close();
  await bus.close();
});
