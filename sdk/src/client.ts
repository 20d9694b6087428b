import { AdminApi } from './api/admin';
import { AiApi } from './api/ai';
import { AuthApi } from './api/auth';
import { CallsApi } from './api/calls';
import { ConversationsApi } from './api/conversations';
import { FilesApi } from './api/files';
import { KeysApi } from './api/keys';
import { MembersApi } from './api/members';
import { MessagesApi } from './api/messages';
import { PollsApi } from './api/polls';
import { PresenceApi } from './api/presence';
import { PushApi } from './api/push';
import { ReactionsApi } from './api/reactions';
import { UsersApi } from './api/users';
import { HttpTransport } from './http';
import type { TokenPair } from './types';

/** How a {@link SecureConnectClient} reaches the API and which session it starts with. */
export interface SecureConnectClientOptions {
  /** Where the API is served, e.g. `https://chat.example.com` (the realtime socket too, at `/v1/realtime`). */
  baseUrl: string;
  /** Default: `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** A session saved earlier; without it, call `auth.login` or `auth.register` first. */
  tokens?: TokenPair;
  /**
   * Called whenever the tokens change — login, register, every refresh — so the app can persist
   * them; with null when the session ended (logout, account deleted, refresh refused).
   */
  onTokens?: (tokens: TokenPair | null) => void;
  /** Per-request deadline; default 30 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The typed REST client: one method per API operation, grouped by area. Tokens are attached,
 * refreshed on a 401 and handed to `onTokens`; errors are {@link SecureConnectError}s.
 *
 * @example
 * const client = new SecureConnectClient({ baseUrl: 'http://localhost:8080' });
 * await client.auth.login({ email, password });
 * const group = await client.conversations.create({ type: 'group', title: 'Team', memberIds: [bobId] });
 * await client.messages.send(group.id, { body: 'hello' });
 */
export class SecureConnectClient {
  readonly baseUrl: string;
  readonly auth: AuthApi;
  readonly users: UsersApi;
  readonly keys: KeysApi;
  readonly conversations: ConversationsApi;
  readonly members: MembersApi;
  readonly messages: MessagesApi;
  readonly reactions: ReactionsApi;
  readonly presence: PresenceApi;
  readonly polls: PollsApi;
  readonly files: FilesApi;
  readonly calls: CallsApi;
  readonly push: PushApi;
  readonly ai: AiApi;
  readonly admin: AdminApi;
  private readonly http: HttpTransport;

  constructor(options: SecureConnectClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.http = new HttpTransport({
      baseUrl: this.baseUrl,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      tokens: options.tokens,
      onTokens: options.onTokens,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    this.auth = new AuthApi(this.http);
    this.users = new UsersApi(this.http);
    this.keys = new KeysApi(this.http);
    this.conversations = new ConversationsApi(this.http);
    this.members = new MembersApi(this.http);
    this.messages = new MessagesApi(this.http);
    this.reactions = new ReactionsApi(this.http);
    this.presence = new PresenceApi(this.http);
    this.polls = new PollsApi(this.http);
    this.files = new FilesApi(this.http);
    this.calls = new CallsApi(this.http);
    this.push = new PushApi(this.http);
    this.ai = new AiApi(this.http);
    this.admin = new AdminApi(this.http);
  }

  /** The session's current tokens, if logged in. */
  get tokens(): TokenPair | undefined {
    return this.http.currentTokens;
  }

  /**
   * Tokens newer than `rejectedAccessToken`, refreshing if nobody has yet. For the realtime
   * client, whose socket was refused with that token; shares the REST calls' single refresh.
   */
  renewTokens(rejectedAccessToken: string): Promise<TokenPair> {
    return this.http.renew(rejectedAccessToken);
  }

  /**
   * Calls `listener` after every change of the tokens, like the `onTokens` option; returns the
   * function that stops it. The realtime client hands renewed tokens to its socket this way.
   */
  watchTokens(listener: (tokens: TokenPair | null) => void): () => void {
    return this.http.watch(listener);
  }
}
