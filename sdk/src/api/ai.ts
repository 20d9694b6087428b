import type { HttpTransport } from '../http';
import type { AiSettings, ReplySuggestions, Summary, UpdateAiSettingsInput } from '../types';

/**
 * AI helpers (`ai-*`), when the server has an AI configured. Each user opts in first
 * (`updateSettings({ enabled: true })`), and a conversation's admins turn them on there
 * (`conversations.update(id, { aiEnabled: true })`); only messages of members who opted in are
 * sent to the AI. Refusals are `SecureConnectError`s: 503 `ai-not-configured` or
 * `ai-unavailable` (retry later), 409 `e2ee-ai-unavailable` or `ai-disabled`, 403
 * `ai-opt-in-required`, 422 `nothing-to-summarize`, 429 when asked too often.
 */
export class AiApi {
  constructor(private readonly http: HttpTransport) {}

  /** The caller's opt-in; off until turned on. */
  settings(): Promise<AiSettings> {
    return this.http.call('ai-settings');
  }

  updateSettings(input: UpdateAiSettingsInput): Promise<AiSettings> {
    return this.http.call('ai-settings-update', { body: input });
  }

  /** A short neutral summary of the conversation's recent messages. */
  summarize(conversationId: string): Promise<Summary> {
    return this.http.call('ai-summarize', { params: { conversationId } });
  }

  /** Up to three short replies the caller could send next. */
  suggestReplies(conversationId: string): Promise<ReplySuggestions> {
    return this.http.call('ai-suggest-replies', { params: { conversationId } });
  }
}
