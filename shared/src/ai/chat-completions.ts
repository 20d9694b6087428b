/** One chat-completions call: instructions, and the conversation as plain text. */
export interface ChatRequest {
  system: string;
  user: string;
}

export interface ChatAnswer {
  content: string;
  /** The model that answered, as the server names it. */
  model: string;
  /** Tokens used, when the server reports them. */
  usage: { promptTokens: number; completionTokens: number } | undefined;
}

/**
 * How a call failed: `timeout` (no whole answer within the deadline), `unavailable` (down, 5xx,
 * overloaded, or an answer that is not a chat completion), `refused` (any other 4xx: a wrong key,
 * an unknown model — the operator has to act).
 */
export type ChatFailure = 'timeout' | 'unavailable' | 'refused';

/** A failed call. The message names what happened — never the key, never what was sent. */
export class ChatError extends Error {
  override name = 'ChatError';

  constructor(
    readonly failure: ChatFailure,
    message: string,
    readonly refusal?: { status: number; code: string | undefined; type: string | undefined },
  ) {
    super(message);
  }
}

/** An OpenAI-compatible chat-completions endpoint (SPEC §9). */
export interface ChatCompletions {
  /** @throws ChatError */
  complete(request: ChatRequest): Promise<ChatAnswer>;
}
