import type { HttpTransport } from '../http';
import type {
  Conversation,
  ConversationDetail,
  CreateConversationInput,
  EventsQuery,
  LoggedEvent,
  Page,
  PageQuery,
  UpdateConversationInput,
} from '../types';

/** Conversations, read state and the event log (`conversations-*`). */
export class ConversationsApi {
  constructor(private readonly http: HttpTransport) {}

  /** A group, or the direct conversation with a user (the existing one if there is one). */
  create(input: CreateConversationInput): Promise<ConversationDetail> {
    return this.http.call('conversations-create', { body: input });
  }

  /** Most recently active first, with `lastSeq`, unread count and last message preview. */
  list(query: PageQuery = {}): Promise<Page<Conversation>> {
    return this.http.call('conversations-list', { query });
  }

  get(conversationId: string): Promise<ConversationDetail> {
    return this.http.call('conversations-get', { params: { conversationId } });
  }

  /** Title, e2ee, aiEnabled, retentionDays; owners and admins. */
  update(conversationId: string, input: UpdateConversationInput): Promise<ConversationDetail> {
    return this.http.call('conversations-update', { params: { conversationId }, body: input });
  }

  /** Moves the caller's read pointer forward to `seq` (never back). */
  markRead(conversationId: string, seq: number): Promise<{ readSeq: number }> {
    return this.http.call('conversations-mark-read', { params: { conversationId }, body: { seq } });
  }

  /**
   * Durable events with seq > `after`, in order, and the conversation's last seq. The realtime
   * client calls this to catch up; apps rarely need to.
   */
  events(
    conversationId: string,
    query: EventsQuery = {},
  ): Promise<{ items: LoggedEvent[]; lastSeq: number }> {
    return this.http.call('conversations-events', { params: { conversationId }, query });
  }
}
