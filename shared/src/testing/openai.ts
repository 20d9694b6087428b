import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request that reached the fake, as it arrived, and what it was answered. */
export interface RecordedCompletion {
  method: string;
  path: string;
  authorization: string | undefined;
  /** The parsed JSON body; the raw text when it was not JSON. */
  body: unknown;
  /** The HTTP status answered; 0 while unanswered (hanging). */
  status: number;
}

/** Token counts the fake reports in `usage`; by default about four characters a token. */
export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** A local OpenAI-compatible chat-completions server; see {@link startOpenAi}. */
export interface TestOpenAi {
  /** `http://127.0.0.1:<port>/v1`: AI_BASE_URL. */
  baseUrl: string;
  /** The key callers must present as `Authorization: Bearer <key>`; change it to refuse the old one. */
  apiKey: string;
  /** Models it serves; any other is `model_not_found`. */
  models: string[];
  /** Every request received, in order, refused ones included. */
  requests: RecordedCompletion[];
  /** AI_BASE_URL, AI_API_KEY and AI_MODEL (its first model) pointing a process at this server. */
  env(): Record<string, string>;
  /** Every valid request from now on is answered `content`, with `usage` when given. */
  answer(content: string, usage?: FakeUsage): void;
  /** Every request from now on gets this body as a 200, whatever it asked (a server answering garbage). */
  answerRaw(body: string, contentType?: string): void;
  /** Every request from now on answers `status` with an OpenAI error body. */
  fail(status?: number): void;
  /** Every request from now on gets no answer at all. */
  hang(): void;
  /** Answers again (the last `answer`); requests left hanging are dropped. */
  recover(): void;
  /** Stops listening: connections are refused, as from a server that is down. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

type Mode =
  | { kind: 'answer' }
  | { kind: 'raw'; body: string; contentType: string }
  | { kind: 'fail'; status: number }
  | { kind: 'hang' };

interface Answer {
  status: number;
  body: string;
  contentType: string;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

const json = (status: number, value: unknown): Answer => ({
  status,
  body: JSON.stringify(value),
  contentType: 'application/json',
});

/** OpenAI's error envelope. */
const apiError = (
  status: number,
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
) => json(status, { error: { message, type, param, code } });

const invalid = (message: string, param: string | null = null) =>
  apiError(400, message, 'invalid_request_error', null, param);

const tokens = (text: string) => Math.ceil(text.length / 4);

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** The request's messages, or what is wrong with them, as OpenAI words it. */
function validate(body: unknown): { model: string; messages: Array<{ content: string }> } | Answer {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return invalid('We could not parse the JSON body of your request.');
  const { model, messages } = body as { model?: unknown; messages?: unknown };
  if (typeof model !== 'string' || model === '')
    return invalid('you must provide a model parameter', 'model');
  if (!Array.isArray(messages) || messages.length === 0)
    return invalid("Invalid 'messages': empty array. Expected an array with minimum length 1.", 'messages');
  for (const [index, message] of messages.entries()) {
    const { role, content } = (message ?? {}) as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || !ROLES.has(role))
      return invalid(`Invalid value for 'messages[${index}].role'.`, `messages[${index}].role`);
    if (typeof content !== 'string')
      return invalid(
        `Invalid type for 'messages[${index}].content': expected a string.`,
        `messages[${index}].content`,
      );
  }
  return { model, messages: messages as Array<{ content: string }> };
}

/**
 * A local HTTP server speaking the documented OpenAI chat-completions API (SPEC §11: only
 * third-party endpoints are faked, speaking their protocol): `POST /v1/chat/completions` with
 * `Authorization: Bearer <key>` and a JSON body `{model, messages: [{role, content}]}`, answered
 * `{id, object: 'chat.completion', created, model, choices: [{index: 0, message: {role:
 * 'assistant', content}, finish_reason: 'stop'}], usage}` — or OpenAI's errors: 401
 * `invalid_api_key`, 400 `invalid_request_error` naming the bad parameter, 404 `model_not_found`.
 * It can answer garbage, fail with any status, hang, or be stopped (connections refused), and
 * records every request.
 *
 * @example
 * const ai = await startOpenAi();
 * const server = await startTestServer({ functions, env: ai.env() });
 * ai.answer('They agreed on Friday.', { prompt_tokens: 40, completion_tokens: 7 });
 * ai.hang(); // calls time out from now on
 */
export async function startOpenAi({
  apiKey = `sk-test-${randomBytes(18).toString('base64url')}`,
  models = ['test-model'],
} = {}): Promise<TestOpenAi> {
  const requests: RecordedCompletion[] = [];
  const hanging = new Set<ServerResponse>();
  let mode: Mode = { kind: 'answer' };
  let scripted: { content: string; usage: FakeUsage | undefined } = {
    content: 'A fake answer.',
    usage: undefined,
  };

  function complete(body: unknown): Answer {
    const request = validate(body);
    if ('status' in request) return request;
    if (!fake.models.includes(request.model))
      return apiError(
        404,
        `The model \`${request.model}\` does not exist or you do not have access to it.`,
        'invalid_request_error',
        'model_not_found',
      );
    const { content } = scripted;
    const usage = scripted.usage ?? {
      prompt_tokens: request.messages.reduce((sum, message) => sum + tokens(message.content), 0),
      completion_tokens: tokens(content),
    };
    return json(200, {
      id: `chatcmpl-${randomBytes(12).toString('base64url')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
  }

  function answerFor(request: IncomingMessage, record: RecordedCompletion, text: string): Answer | undefined {
    if (mode.kind === 'hang') return undefined;
    if (mode.kind === 'fail')
      return apiError(
        mode.status,
        'The server had an error while processing your request.',
        'server_error',
        null,
      );
    if (mode.kind === 'raw') return { status: 200, body: mode.body, contentType: mode.contentType };
    if (request.method !== 'POST' || record.path !== '/v1/chat/completions')
      return apiError(404, `Invalid URL (${request.method} ${record.path})`, 'invalid_request_error', null);
    if (record.authorization === undefined)
      return apiError(401, "You didn't provide an API key.", 'invalid_request_error', null);
    if (record.authorization !== `Bearer ${fake.apiKey}`)
      return apiError(401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
    if (request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== 'application/json')
      return invalid('Unsupported content type: expected application/json.');
    try {
      return complete(JSON.parse(text));
    } catch {
      return invalid('We could not parse the JSON body of your request.');
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readBody(request);
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Recorded as sent; answered as unparseable.
    }
    const record: RecordedCompletion = {
      method: request.method ?? '',
      path: (request.url ?? '/').split('?')[0] ?? '/',
      authorization: request.headers.authorization,
      body,
      status: 0,
    };
    requests.push(record);
    const answer = answerFor(request, record, text);
    if (!answer) {
      hanging.add(response);
      response.once('close', () => hanging.delete(response));
      return;
    }
    record.status = answer.status;
    response.writeHead(answer.status, {
      'content-type': answer.contentType,
      'content-length': Buffer.byteLength(answer.body),
    });
    response.end(answer.body);
  }

  const dropHanging = () => {
    for (const response of hanging) response.destroy();
    hanging.clear();
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const shut = async () => {
    if (!server.listening) return;
    dropHanging();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  };
  await listen(0);
  const { port } = server.address() as AddressInfo;

  const fake: TestOpenAi = {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    apiKey,
    models,
    requests,
    env: () => ({
      AI_BASE_URL: fake.baseUrl,
      AI_API_KEY: fake.apiKey,
      AI_MODEL: fake.models[0] ?? 'test-model',
    }),
    answer(content, usage) {
      scripted = { content, usage };
      mode = { kind: 'answer' };
    },
    answerRaw(body, contentType = 'application/json') {
      mode = { kind: 'raw', body, contentType };
    },
    fail(status = 500) {
      mode = { kind: 'fail', status };
    },
    hang() {
      mode = { kind: 'hang' };
    },
    recover() {
      mode = { kind: 'answer' };
      dropHanging();
    },
    stop: shut,
    start: () => listen(port),
    close: shut,
  };
  return fake;
}
