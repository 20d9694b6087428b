import { APIConnectionTimeoutError, APIError, OpenAI } from 'openai';
import * as v from 'valibot';
import { type ChatAnswer, type ChatCompletions, ChatError, type ChatRequest } from './chat-completions';

/** Options for {@link OpenAiChat}; usually the AI_* variables. */
export interface OpenAiChatOptions {
  /** AI_BASE_URL, the API root the server's paths hang off, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  /** AI_API_KEY; without it no Authorization header is sent. */
  apiKey: string | undefined;
  model: string;
  /** The whole call, the answer's body included. */
  timeoutMs: number;
}

const TokenCount = v.pipe(v.number(), v.integer(), v.minValue(0));

/** The part of a chat completion we read; anything else the server adds is ignored. */
const CompletionSchema = v.object({
  model: v.nullish(v.string()),
  choices: v.pipe(
    v.array(v.object({ message: v.object({ content: v.nullish(v.string()) }) })),
    v.minLength(1),
  ),
  // Reported usage is a nicety: a malformed one is dropped, not held against the answer (and a
  // negative count would make the counter throw).
  usage: v.fallback(
    v.nullish(v.object({ prompt_tokens: TokenCount, completion_tokens: TokenCount })),
    undefined,
  ),
});

/** 408 and 409 are the server's own transient states; 429 an overloaded or rate-limited account. */
const TRANSIENT_STATUSES = new Set([408, 409, 429]);

/** The first `code` along an error's causes: `ECONNREFUSED` under fetch's `TypeError: fetch failed`. */
function errorCode(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * {@link ChatCompletions} through the `openai` package, pointed at any OpenAI-compatible server
 * by `baseURL` (OpenAI, Azure's v1 API, vLLM, Ollama, llama.cpp, LiteLLM …).
 *
 * One attempt per call (`maxRetries: 0`): a user is waiting, and most failures worth retrying
 * (429, 503) mean an overloaded server that a second request would only load further. The
 * deadline is an AbortSignal of our own because the SDK's `timeout` stops counting once the
 * headers arrive, and a server can stall in the body. Every option the SDK would otherwise read
 * from OPENAI_* variables is given, so nothing but AI_* configures it.
 */
export class OpenAiChat implements ChatCompletions {
  private readonly client: OpenAI;
  private readonly model: string;
  private readonly timeoutMs: number;

  constructor({ baseUrl, apiKey, model, timeoutMs }: OpenAiChatOptions) {
    this.model = model;
    this.timeoutMs = timeoutMs;
    this.client = new OpenAI({
      baseURL: baseUrl,
      // The SDK insists on a credential; local servers need none, so the header is dropped instead.
      apiKey: apiKey ?? 'none',
      ...(apiKey === undefined ? { defaultHeaders: { authorization: null } } : {}),
      adminAPIKey: null,
      organization: null,
      project: null,
      webhookSecret: null,
      maxRetries: 0,
      timeout: timeoutMs,
      logLevel: 'off',
    });
  }

  async complete({ system, user }: ChatRequest): Promise<ChatAnswer> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let answer: unknown;
    try {
      answer = await this.client.chat.completions.create(
        {
          model: this.model,
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: user },
          ],
        },
        { signal },
      );
    } catch (error) {
      throw this.failure(error, signal);
    }
    const parsed = v.safeParse(CompletionSchema, answer);
    const content = parsed.success ? parsed.output.choices[0]?.message.content?.trim() : undefined;
    if (!parsed.success || !content)
      throw new ChatError('unavailable', 'the AI server answered something other than a chat completion');
    const { usage, model } = parsed.output;
    return {
      content,
      model: model || this.model,
      usage: usage
        ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }
        : undefined,
    };
  }

  private failure(error: unknown, signal: AbortSignal): ChatError {
    if (signal.aborted || error instanceof APIConnectionTimeoutError)
      return new ChatError('timeout', `the AI server gave no answer within ${this.timeoutMs} ms`);
    if (error instanceof APIError && error.status !== undefined) {
      const { status } = error;
      const code = typeof error.code === 'string' ? error.code : undefined;
      const described = `the AI server answered ${status}${code ? ` ${code}` : ''}`;
      if (status >= 500 || TRANSIENT_STATUSES.has(status)) return new ChatError('unavailable', described);
      return new ChatError('refused', described, { status, code, type: error.type });
    }
    const code = errorCode(error);
    // A body that is not JSON surfaces as a SyntaxError from the SDK's parser.
    const reason = error instanceof SyntaxError ? 'an answer that is not JSON' : (code ?? 'a network error');
    return new ChatError('unavailable', `the AI server could not be reached or read: ${reason}`);
  }
}
