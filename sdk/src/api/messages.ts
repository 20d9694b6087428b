import type { HttpTransport } from '../http';
import type { EditMessageInput, Message, MessagesQuery, SearchQuery, SendMessageInput } from '../types';

/** Messages and reactions to them (`messages-*`, `reactions-*`). */
export class MessagesApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * Sends a message. Without a `clientMessageId` one is generated before the first attempt, so
   * the SDK's retry after a token refresh cannot post it twice. An app that retries by itself
   * (after a network error, say) passes its own id and reuses it: the server answers the same
   * message again instead of a second one.
   */
  send(conversationId: string, input: SendMessageInput): Promise<Message> {
    const body = { ...input, clientMessageId: input.clientMessageId ?? globalThis.crypto.randomUUID() };
    return this.http.call('messages-send', { params: { conversationId }, body });
  }

  /** Ascending by seq: `before` pages back from the newest (the default), `after` forward. */
  list(conversationId: string, query: MessagesQuery = {}): Promise<{ items: Message[]; lastSeq: number }> {
    return this.http.call('messages-list', { params: { conversationId }, query });
  }

  /** Case-insensitive substring search, newest first; 409 in E2EE conversations. */
  search(conversationId: string, q: string, query: SearchQuery = {}): Promise<{ items: Message[] }> {
    return this.http.call('messages-search', { params: { conversationId }, query: { ...query, q } });
  }

  /** Author only. */
  edit(conversationId: string, messageId: string, input: EditMessageInput): Promise<Message> {
    return this.http.call('messages-edit', { params: { conversationId, messageId }, body: input });
  }

  /** The author, or a group owner or admin; leaves a tombstone. */
  delete(conversationId: string, messageId: string): Promise<void> {
    return this.http.call('messages-delete', { params: { conversationId, messageId } });
  }
}
