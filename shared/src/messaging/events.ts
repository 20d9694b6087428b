/**
 * Durable conversation events (SPEC §6): each takes the next `seq` of its conversation and is
 * kept in the conversation's event log, so a client that remembers its last seq can fetch
 * exactly what it missed.
 */
export const DURABLE_EVENT_TYPES = [
  'message.created',
  'message.updated',
  'message.deleted',
  'reaction.added',
  'reaction.removed',
  'read',
  'poll.updated',
  'member.added',
  'member.removed',
  // Not in SPEC §6's list: a member's role changed. Clients that do not know it may ignore it.
  'member.updated',
  'conversation.updated',
  'call.ringing',
  'call.ended',
] as const;

export type DurableEventType = (typeof DURABLE_EVENT_TYPES)[number];

export interface ConversationEvent {
  conversationId: string;
  /** 1, 2, 3 … per conversation, no gaps, no repeats. */
  seq: number;
  type: DurableEventType;
  /** Who caused it; null for system events. */
  actorId: string | null;
  /** The event's payload as clients receive it (JSON-serializable). */
  data: Record<string, unknown>;
  createdAt: Date;
}

/**
 * The wire frame of a durable event, encoded once by the publisher; gateways forward the same
 * string to every socket without parsing it again.
 */
export function encodeEventFrame(event: ConversationEvent): string {
  return JSON.stringify({
    type: 'event',
    event: event.type,
    conversationId: event.conversationId,
    seq: event.seq,
    data: event.data,
  });
}
