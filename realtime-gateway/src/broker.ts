import type { Logger } from '@secureconnect/shared/observability/logger';
import {
  conversationChannel,
  type EventBus,
  type UserSignal,
  userChannel,
} from '@secureconnect/shared/realtime/event-bus';
import * as v from 'valibot';
import type { Hub } from './hub';
import type { Recovery } from './recovery';
import { textFrame } from './wire-frame';

const UserSignalSchema = v.variant('kind', [
  v.object({
    kind: v.literal('membership'),
    conversationId: v.string(),
    action: v.picklist(['added', 'removed']),
  }),
  v.object({ kind: v.literal('session-revoked'), sessionId: v.string() }),
  v.object({ kind: v.literal('user-revoked') }),
  v.object({ kind: v.literal('call-signal'), callId: v.string(), from: v.string(), payload: v.unknown() }),
]) satisfies v.GenericSchema<unknown, UserSignal>;

/** The fields of a conversation frame the gateway routes by; the rest is forwarded untouched. */
interface FrameHeader {
  type?: unknown;
  seq?: unknown;
  userId?: unknown;
}

type Unsubscribe = () => Promise<void>;

/** What a {@link Broker} connects: the bus on one side, the hub and recovery on the other. */
export interface BrokerOptions {
  bus: EventBus;
  hub: Hub;
  recovery: Recovery;
  /** What to do with a control message for one of this gateway's users. */
  onUserSignal: (userId: string, signal: UserSignal) => void;
  logger: Logger;
}

/**
 * The gateway's side of the event bus: one subscription to `conv:<id>` per conversation with a
 * local member and one to `user:<id>` per connected user, opened by the first local connection
 * and closed by the last. Conversation frames are routed — durable ones through {@link Recovery}
 * for ordering, ephemeral ones straight to the hub — after one parse per gateway, and forwarded
 * as the very bytes the publisher encoded, framed once for every socket.
 */
export class Broker {
  private readonly conversations = new Map<string, Promise<Unsubscribe>>();
  /** Per subscribed conversation: resolves once its subscription is active and its baseline known. */
  private readonly conversationsReady = new Map<string, Promise<void>>();
  private readonly users = new Map<string, Promise<Unsubscribe>>();

  constructor(private readonly options: BrokerOptions) {}

  /** Resolves once the subscription is active and the conversation's baseline seq is known. */
  subscribeConversation(conversationId: string): Promise<void> {
    const subscription = this.options.bus.subscribe(conversationChannel(conversationId), (payload) =>
      this.onConversationFrame(conversationId, payload),
    );
    this.conversations.set(conversationId, subscription);
    const ready = this.options.recovery.track(conversationId, subscription);
    this.conversationsReady.set(conversationId, ready);
    return ready;
  }

  /** For a connection joining an already subscribed conversation: resolves when that subscription is ready. */
  ready(conversationId: string): Promise<void> {
    return this.conversationsReady.get(conversationId) ?? Promise.resolve();
  }

  unsubscribeConversation(conversationId: string): void {
    this.options.recovery.untrack(conversationId);
    this.conversationsReady.delete(conversationId);
    this.release(this.conversations, conversationId);
  }

  /** Resolves once the subscription is active. */
  async subscribeUser(userId: string): Promise<void> {
    const subscription = this.options.bus.subscribe(userChannel(userId), (payload) =>
      this.onUserMessage(userId, payload),
    );
    this.users.set(userId, subscription);
    await subscription;
  }

  unsubscribeUser(userId: string): void {
    this.release(this.users, userId);
  }

  private release(subscriptions: Map<string, Promise<Unsubscribe>>, key: string): void {
    const subscription = subscriptions.get(key);
    subscriptions.delete(key);
    void subscription
      ?.then((unsubscribe) => unsubscribe())
      .catch((error: unknown) => this.options.logger.warn({ err: error, key }, 'unsubscribe failed'));
  }

  private onConversationFrame(conversationId: string, payload: string): void {
    let header: FrameHeader;
    try {
      header = JSON.parse(payload) as FrameHeader;
    } catch {
      this.options.logger.warn({ conversationId }, 'dropping a conversation frame that is not JSON');
      return;
    }
    const frame = textFrame(payload);
    if (header.type === 'event' && typeof header.seq === 'number') {
      this.options.recovery.accept(conversationId, header.seq, frame);
    } else if (
      (header.type === 'typing' || header.type === 'presence') &&
      typeof header.userId === 'string'
    ) {
      this.options.hub.deliver(conversationId, frame, header.type, header.userId);
    } else {
      this.options.logger.warn(
        { conversationId, type: header.type },
        'dropping an unknown conversation frame',
      );
    }
  }

  private onUserMessage(userId: string, payload: string): void {
    let signal: UserSignal;
    try {
      signal = v.parse(UserSignalSchema, JSON.parse(payload));
    } catch {
      this.options.logger.warn({ userId }, 'dropping an invalid user signal');
      return;
    }
    this.options.onUserSignal(userId, signal);
  }
}
