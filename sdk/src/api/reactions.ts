import type { HttpTransport } from '../http';

/** Emoji reactions to messages (`reactions-*`); both calls are idempotent. */
export class ReactionsApi {
  constructor(private readonly http: HttpTransport) {}

  add(conversationId: string, messageId: string, emoji: string): Promise<void> {
    return this.http.call('reactions-add', { params: { conversationId, messageId, emoji } });
  }

  remove(conversationId: string, messageId: string, emoji: string): Promise<void> {
    return this.http.call('reactions-remove', { params: { conversationId, messageId, emoji } });
  }
}
