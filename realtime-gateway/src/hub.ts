import type { Metrics } from '@secureconnect/shared/observability/metrics';
import type { Connection } from './transport';

/**
 * The gateway's local routing table: which authenticated connections belong to which user and
 * receive which conversation. It knows nothing of the event bus; the broker asks it whether a
 * conversation or user just gained its first or lost its last local connection.
 *
 * Delivery writes the SAME Buffer to every recipient: a frame is encoded once per gateway, never
 * per socket.
 */
export class Hub {
  private readonly byConversation = new Map<string, Audience>();
  private readonly byUser = new Map<string, Set<Connection>>();
  private readonly sentEvents;

  constructor(metrics: Metrics) {
    this.sentEvents = {
      event: metrics.websocketMessagesTotal.labels({ direction: 'out', type: 'event' }),
      typing: metrics.websocketMessagesTotal.labels({ direction: 'out', type: 'typing' }),
      presence: metrics.websocketMessagesTotal.labels({ direction: 'out', type: 'presence' }),
    };
  }

  /** Registers an authenticated connection; true when it is its user's first on this gateway. */
  addUserConnection(connection: Connection, userId: string): boolean {
    return addTo(this.byUser, userId, connection);
  }

  /** Forgets a connection; returns the conversations it was the last local member of, and whether it was its user's last. */
  remove(connection: Connection, userId: string): { lastOfUser: boolean; lastOfConversations: string[] } {
    const lastOfConversations = [...connection.conversations].filter((id) => this.leave(connection, id));
    return { lastOfUser: removeFrom(this.byUser, userId, connection), lastOfConversations };
  }

  /** Starts delivering a conversation to a connection; true when it is the conversation's first local one. */
  join(connection: Connection, conversationId: string): boolean {
    let audience = this.byConversation.get(conversationId);
    const first = audience === undefined;
    if (!audience) {
      audience = { id: conversationId, connections: new Set() };
      this.byConversation.set(conversationId, audience);
    }
    audience.connections.add(connection);
    // Every connection holds the audience's copy of the id, not the one its own lookup read.
    connection.conversations.add(audience.id);
    return first;
  }

  /** Stops delivering a conversation to a connection; true when it was the conversation's last local one. */
  leave(connection: Connection, conversationId: string): boolean {
    connection.conversations.delete(conversationId);
    const audience = this.byConversation.get(conversationId);
    if (!audience?.connections.delete(connection) || audience.connections.size > 0) return false;
    this.byConversation.delete(conversationId);
    return true;
  }

  /** A user's authenticated connections on this gateway (their devices). */
  connectionsOf(userId: string): Connection[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  /**
   * Writes one pre-encoded frame to every local connection of a conversation, except those of
   * `exceptUserId` (typing and presence are never echoed to their author).
   */
  deliver(
    conversationId: string,
    frame: Buffer,
    type: 'event' | 'typing' | 'presence',
    exceptUserId?: string,
  ): void {
    const recipients = this.byConversation.get(conversationId)?.connections;
    if (!recipients) return;
    let sent = 0;
    for (const connection of recipients) {
      if (exceptUserId !== undefined && connection.session?.userId === exceptUserId) continue;
      if (connection.send(frame)) sent++;
    }
    this.sentEvents[type].inc(sent);
  }
}

/** A conversation's local connections, under the id they all share. */
interface Audience {
  id: string;
  connections: Set<Connection>;
}

function addTo(index: Map<string, Set<Connection>>, key: string, connection: Connection): boolean {
  let set = index.get(key);
  const first = set === undefined;
  if (!set) {
    set = new Set();
    index.set(key, set);
  }
  set.add(connection);
  return first;
}

function removeFrom(index: Map<string, Set<Connection>>, key: string, connection: Connection): boolean {
  const set = index.get(key);
  if (!set?.delete(connection) || set.size > 0) return false;
  index.delete(key);
  return true;
}
