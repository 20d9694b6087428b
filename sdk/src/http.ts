import { SecureConnectError } from './errors';
import { OPERATIONS, type OperationName } from './operations';
import type { AuthSession, TokenPair } from './types';

/** Values a query option may take; arrays travel comma-separated, undefined ones are left out. */
export type QueryValue = string | number | boolean | readonly string[] | undefined;

/** The parts of one call besides the operation. */
export interface CallInput {
  params?: Record<string, string>;
  query?: Record<string, QueryValue>;
  body?: unknown;
}

export interface HttpTransportOptions {
  baseUrl: string;
  fetch: typeof globalThis.fetch;
  tokens: TokenPair | undefined;
  onTokens: ((tokens: TokenPair | null) => void) | undefined;
  timeoutMs: number;
}

/**
 * Authenticated HTTP for the SDK: builds each call from the {@link OPERATIONS} table, holds the
 * session's tokens and renews them.
 *
 * A 401 on an authenticated call renews the tokens once and retries the call once. Renewals are
 * serialized into one in-flight refresh: a refresh token is single-use and presenting a spent one
 * revokes the whole session, so two concurrent refreshes would log the user out.
 */
export class HttpTransport {
  private tokens: TokenPair | undefined;
  private refreshing: Promise<TokenPair> | undefined;
  private readonly watchers = new Set<(tokens: TokenPair | null) => void>();

  constructor(private readonly options: HttpTransportOptions) {
    this.tokens = options.tokens;
  }

  get currentTokens(): TokenPair | undefined {
    return this.tokens;
  }

  /** Calls an operation and resolves with its JSON body (undefined for 202/204). */
  async call<T>(name: OperationName, input: CallInput = {}): Promise<T> {
    const operation = OPERATIONS[name];
    if (!operation.authenticated) return this.send<T>(name, input, undefined);
    const accessToken = this.requireTokens().accessToken;
    try {
      return await this.send<T>(name, input, accessToken);
    } catch (error) {
      if (!(error instanceof SecureConnectError && error.status === 401)) throw error;
      const renewed = await this.renew(accessToken);
      return this.send<T>(name, input, renewed.accessToken);
    }
  }

  /**
   * Tokens newer than `rejected`: the current ones if someone already renewed them, else the
   * result of the one refresh in flight (started here if none is).
   */
  renew(rejected: string): Promise<TokenPair> {
    if (this.tokens && this.tokens.accessToken !== rejected) return Promise.resolve(this.tokens);
    return this.refresh();
  }

  /** Rotates the refresh token; concurrent callers share one request. */
  refresh(): Promise<TokenPair> {
    this.refreshing ??= this.rotate().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Calls `watcher` after every change of the tokens, as `onTokens`; returns the function that stops it. */
  watch(watcher: (tokens: TokenPair | null) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Adopts the tokens of a new session (register, login). */
  adopt(session: AuthSession): void {
    this.setTokens({ accessToken: session.accessToken, refreshToken: session.refreshToken });
  }

  /** Forgets the session's tokens (logout, or a refresh the server refused). */
  forget(): void {
    this.setTokens(null);
  }

  /**
   * A request to a URL the API handed out (a presigned upload or download), sent with this
   * client's fetch but without its credentials: the URL carries its own authorization.
   */
  async transfer(url: string, init: RequestInit): Promise<Response> {
    const response = await this.options.fetch(url, init);
    if (!response.ok) throw await SecureConnectError.fromResponse(response);
    return response;
  }

  private async rotate(): Promise<TokenPair> {
    const refreshToken = this.requireTokens().refreshToken;
    try {
      const session = await this.send<AuthSession>('auth-refresh', { body: { refreshToken } }, undefined);
      this.adopt(session);
      return this.requireTokens();
    } catch (error) {
      // A refused refresh token is spent or revoked for good; a network failure may pass.
      if (error instanceof SecureConnectError && (error.status === 400 || error.status === 401))
        this.forget();
      throw error;
    }
  }

  private setTokens(tokens: TokenPair | null): void {
    this.tokens = tokens ?? undefined;
    this.options.onTokens?.(tokens);
    for (const watcher of this.watchers) watcher(tokens);
  }

  private requireTokens(): TokenPair {
    if (!this.tokens) {
      throw new SecureConnectError({
        type: 'about:blank',
        title: 'Unauthorized',
        status: 401,
        detail: 'Not logged in: call auth.login or auth.register, or pass tokens to the client.',
      });
    }
    return this.tokens;
  }

  private async send<T>(name: OperationName, input: CallInput, accessToken: string | undefined): Promise<T> {
    const { method, path } = OPERATIONS[name];
    const headers: Record<string, string> = { accept: 'application/json' };
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    let body: string | undefined;
    if (input.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(input.body);
    }
    const response = await this.options.fetch(this.url(path, input), {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    if (!response.ok) throw await SecureConnectError.fromResponse(response);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private url(path: string, { params = {}, query = {} }: CallInput): string {
    const filled = path.replace(/:(\w+)/g, (_match, name: string) => {
      const value = params[name];
      if (value === undefined) throw new TypeError(`missing path parameter ${name} for ${path}`);
      return encodeURIComponent(value);
    });
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      search.set(key, Array.isArray(value) ? value.join(',') : String(value));
    }
    const queryString = search.toString();
    return `${this.options.baseUrl.replace(/\/+$/, '')}${filled}${queryString ? `?${queryString}` : ''}`;
  }
}
