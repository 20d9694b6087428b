import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BootedServer, bootFunctions } from '../http/boot';
import type { AnyFunction } from '../http/define-function';
import { createTestDatabase } from './database';
import { testKeyPrefix } from './redis';
import { type SmtpCapture, startSmtpCapture } from './smtp';

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely, as a client would
export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response has a JSON body, else the text (or null when empty). */
  body: T;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent verbatim, for malformed-input tests. */
  rawBody?: string;
  token?: string;
  headers?: Record<string, string>;
}

export interface TestServer {
  url: string;
  server: BootedServer;
  smtp: SmtpCapture;
  /** The server's log lines, parsed, when started with `captureLogs`. */
  logs: Record<string, unknown>[];
  /** Which SQL and KV backends this server runs on, for test names and logs. */
  backends: { sql: 'postgres' | 'pglite'; kv: 'redis' | 'memory' };
  // biome-ignore lint/suspicious/noExplicitAny: see TestResponse
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<TestResponse<T>>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** The functions to serve; or give `boot` to start something else on the prepared environment. */
  functions?: AnyFunction[];
  boot?: (env: Record<string, string>) => Promise<BootedServer>;
  /** Overrides on top of the test environment (e.g. a short LOCKOUT_SECONDS). */
  env?: Record<string, string>;
  /** Keep the server's log lines (at LOG_LEVEL debug unless `env` says otherwise) in `logs`. */
  captureLogs?: boolean;
}

/**
 * One request to `baseUrl + path`, as a client sends it: JSON body and bearer token when given.
 * For servers the test did not boot in-process (a bundle or an image's process).
 */
// biome-ignore lint/suspicious/noExplicitAny: see TestResponse
export async function requestUrl<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<TestResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(baseUrl + path, { method, headers, body });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  const parsed = text && /json/.test(type) ? JSON.parse(text) : text || null;
  return { status: response.status, headers: response.headers, body: parsed };
}

/**
 * Boots functions on a real HTTP port against the run's backends (SPEC §11): a fresh PostgreSQL
 * database or PGlite directory, a fresh Redis key prefix or the in-process store, and a real SMTP
 * server capturing mail. Nothing of ours is mocked.
 */
export async function startTestServer({
  functions = [],
  boot,
  env = {},
  captureLogs = false,
}: TestServerOptions): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sc-test-'));
  const database = process.env.SC_TEST_DATABASE_URL ? await createTestDatabase() : undefined;
  const redisUrl = process.env.SC_TEST_REDIS_URL || undefined;
  const smtp = await startSmtpCapture();
  const serverEnv: Record<string, string> = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: captureLogs ? 'debug' : (process.env.TEST_LOG_LEVEL ?? 'silent'),
    DATA_DIR: dataDir,
    ...(database?.url ? { DATABASE_URL: database.url } : {}),
    ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: testKeyPrefix() } : {}),
    SMTP_URL: smtp.url,
    // Many accounts come from one IP in a test; files that test the limits set their own.
    RATE_LIMIT_REGISTER: '1000/60',
    RATE_LIMIT_LOGIN: '1000/60',
    RATE_LIMIT_PASSWORD_RESET: '1000/60',
    ...env,
  };
  const logs: Record<string, unknown>[] = [];
  const logDestination = captureLogs
    ? { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) }
    : undefined;
  const server = boot
    ? await boot(serverEnv)
    : await bootFunctions({
        service: 'test',
        functions,
        handleSignals: false,
        env: serverEnv,
        logDestination,
      });
  const url = `http://127.0.0.1:${server.port}`;
  return {
    url,
    server,
    smtp,
    logs,
    backends: {
      sql: (env.DATABASE_URL ?? database?.url) ? 'postgres' : 'pglite',
      kv: (env.REDIS_URL ?? redisUrl) ? 'redis' : 'memory',
    },
    request: (method, path, options) => requestUrl(url, method, path, options),
    async close() {
      // No request may end in a 500, in any test (SPEC §5): bad input is always a 4xx.
      const metrics = await server.platform.metrics.registry.metrics();
      const failures = metrics
        .split('\n')
        .filter((line) => line.startsWith('http_requests_total{') && line.includes('status="500"'));
      await server.close();
      await smtp.close();
      await database?.close();
      await rm(dataDir, { recursive: true, force: true });
      if (failures.length > 0) throw new Error(`requests answered 500:\n${failures.join('\n')}`);
    },
  };
}
